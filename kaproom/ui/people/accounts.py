"""The staff accounts screen: add, disable, enable, unlock, reset, change role; and the audit log window.

Only an admin sees the controls; anyone else sees one line saying who can. Every change goes
through :class:`kaproom.services.people.People`, which checks the admin's current role again, writes the
audit event in the same transaction, and refuses to leave the clinic without an active admin.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.people import Permission, Role, User, name_key
from kaproom.services.people import People
from kaproom.ui.kit.errors import calm_message, run_guarded
from kaproom.ui.people.audit_view import AuditView
from kaproom.ui.people.forms import (
    FormDialog,
    NewSecretFields,
    RunDialog,
    line_field,
    message_label,
    run_modal,
    show_only_permitted,
)

COLUMNS = ("Name", "Role", "State", "Signs in with", "Added (UTC)", "Managed")
#: What the buttons may still do to an account taken from the clinic: only its pause after wrong tries
#: here ends here (the rest is changed once, clinic-wide, at an office computer).
CLINIC_ACCOUNT_KEYS = ("unlock",)


def managed_text(where: str | None) -> str:
    """The "Managed" cell: this computer only, clinic-wide from here, or from an office computer."""
    if where is None:
        return "this computer"
    return "clinic-wide, here" if where == "here" else f"clinic-wide, at office '{where}'"


class UserFormDialog(FormDialog):
    """Add a user (name, role, secret twice) or reset one's secret (secret twice)."""

    def __init__(self, people: People, admin: User | None, reset: User | None = None,
                 parent: QWidget | None = None) -> None:
        title = f"New PIN or passphrase for {reset.name}" if reset else "Add a user"
        intro = ("Choose the new PIN or passphrase together with its owner; any pause after wrong tries ends."
                 if reset else "Add someone who uses this room. They sign in with this name and PIN or passphrase.")
        super().__init__(title, intro, "Save" if reset else "Add user", parent)
        self.message.setObjectName("userFormMessage")
        self.people, self.admin, self.reset = people, admin, reset
        self.name_edit = line_field("userFormName")
        self.role_box = QComboBox()
        self.role_box.setObjectName("userFormRole")
        for role in Role:
            self.role_box.addItem(role.label, role.value)
        if reset is None:
            self.form.addRow("Name", self.name_edit)
            self.form.addRow("Role", self.role_box)
        self.secret = NewSecretFields(self.form)
        (self.secret.secret_edit if reset else self.name_edit).setFocus()

    def attempt(self) -> None:
        run_guarded(self.refuse, self._save, lambda user: self.done_with(user, *self.secret.edits()))

    def _save(self) -> User:
        if self.reset is not None:
            return self.people.reset_secret(self.admin, self.reset.name, *self.secret.values())
        return self.people.add_user(self.admin, self.name_edit.text(), self.role_box.currentData(),
                                    *self.secret.values())


class UsersAdminWidget(QWidget):
    """The list of accounts and what an admin can do with the selected one."""

    def __init__(self, people: People, admin: User | None, parent: QWidget | None = None,
                 run: RunDialog | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usersAdmin")
        self.people, self.admin, self.run = people, admin, run or run_modal
        #: name key -> where a clinic-wide account is changed (see People.clinic_wide)
        self.clinic_wide: dict[str, str] = {}
        self.notice = QLabel("Only an admin can manage users. Ask your clinic's KAP Room admin.")
        self.notice.setObjectName("usersAdminNotice")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("usersTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)  # Tab goes on to the buttons; arrows choose the person
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = message_label("usersAdminMessage")
        self.role_box = QComboBox()
        self.role_box.setObjectName("usersRoleChoice")
        for role in Role:
            self.role_box.addItem(role.label, role.value)
        self.buttons = {key: self._button(key, text) for key, text in (
            ("add", "Add user…"), ("disable", "Disable"), ("enable", "Enable"), ("unlock", "End pause"),
            ("reset", "New PIN…"), ("role", "Set role"))}
        row = QHBoxLayout()
        for key in ("add", "disable", "enable", "unlock", "reset"):
            row.addWidget(self.buttons[key])
        row.addStretch(1)
        row.addWidget(self.role_box)
        row.addWidget(self.buttons["role"])
        self.controls = QWidget()
        self.controls.setLayout(row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.table)
        layout.addWidget(self.controls)
        layout.addWidget(self.message)
        managing = admin is not None and admin.may(Permission.MANAGE_USERS)
        self.notice.setVisible(not managing)
        show_only_permitted(admin, {self.table: Permission.MANAGE_USERS, self.controls: Permission.MANAGE_USERS})
        if admin is None:
            self.table.hide()
            self.controls.hide()
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def _button(self, key: str, text: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(f"users_{key}")
        button.clicked.connect(lambda _=False, k=key: self.act(k))
        return button

    def users(self) -> list[User]:
        return self.people.users()

    def refresh(self) -> None:
        if self.admin is None or not self.admin.may(Permission.MANAGE_USERS):
            self.table.setRowCount(0)
            return
        selected = self.selected_name()
        users = self.users()
        self.clinic_wide = self.people.clinic_wide()
        self.table.setRowCount(len(users))
        for index, user in enumerate(users):
            paused = self.people.lock_remaining(user) > 0
            state = "paused" if paused else ("active" if user.active else "disabled")
            values = (user.name, user.role.label, state, "PIN" if user.secret_kind == "pin" else "passphrase",
                      user.created_at[:16].replace("T", " "), managed_text(self.clinic_wide.get(name_key(user.name))))
            for column, value in enumerate(values):
                self.table.setItem(index, column, QTableWidgetItem(value))
            if user.name == selected:
                self.table.selectRow(index)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.text() if item is not None else None

    def select(self, name: str) -> None:
        for index in range(self.table.rowCount()):
            item = self.table.item(index, 0)
            if item is not None and item.text() == name:
                self.table.selectRow(index)

    def _update_buttons(self) -> None:
        name = self.selected_name()
        office = self.clinic_wide.get(name_key(name)) if name is not None else None
        taken = office not in (None, "here")  # an account taken from the clinic: changed at its office
        for key in ("disable", "enable", "unlock", "reset", "role"):
            blocked = taken and key not in CLINIC_ACCOUNT_KEYS
            self.buttons[key].setEnabled(name is not None and not blocked)
            self.buttons[key].setToolTip(f"{name} is a clinic-wide account: it is changed at the office computer "
                                         f"'{office}' (kaproom users ... --clinic)" if blocked else "")

    def act(self, key: str) -> None:
        name = self.selected_name()
        if name is None and key != "add":
            return
        run_guarded(lambda exc: self.message.setText(calm_message(exc)), lambda: self._act(key, name))
        self.refresh()

    def _act(self, key: str, name: str | None) -> None:
        """Do ``key`` and say what was done; a refusal is said by :meth:`act` instead."""
        if key == "add" or name is None:
            dialog = UserFormDialog(self.people, self.admin, parent=self)
            if self.run(dialog) and dialog.user:
                self.message.setText(f"Added {dialog.user.name} as {dialog.user.role.value}.")
        elif key == "reset":
            dialog = UserFormDialog(self.people, self.admin, reset=self.people.find(name), parent=self)
            if self.run(dialog) and dialog.user:
                self.message.setText(f"{name} has a new PIN or passphrase.")
        elif key == "role":
            user = self.people.change_role(self.admin, name, self.role_box.currentData())
            self.message.setText(f"{user.name} is now {user.role.value}.")
        else:
            getattr(self.people, key)(self.admin, name)
            self.message.setText({"disable": f"{name} can no longer sign in.",
                                  "enable": f"{name} can sign in again.",
                                  "unlock": f"{name}'s pause has ended."}[key])


class UsersAdminDialog(QDialog):
    """The users list in its own window (and step 2 of the first start)."""

    def __init__(self, people: People, admin: User | None, parent: QWidget | None = None, step_two: bool = False,
                 run: RunDialog | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up KAP Room — add staff" if step_two else "Users — KAP Room")
        layout = QVBoxLayout(self)
        if step_two:
            intro = QLabel("Step 2 of 2: add the therapists and supervisors who use this room (you can also do "
                           "this later: Staff and audit log on the home page, or `kaproom users add`).")
            intro.setWordWrap(True)
            layout.addWidget(intro)
        self.widget = UsersAdminWidget(people, admin, self, run)
        layout.addWidget(self.widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Done" if step_two else "Close")
        buttons.rejected.connect(self.accept)
        self.audit_button: QPushButton | None = None
        if admin is not None and admin.may(Permission.VIEW_AUDIT):
            self.audit_button = QPushButton("Audit log…")
            self.audit_button.setObjectName("usersAuditLog")
            self.audit_button.setAccessibleName("Read the audit log: sign-ins, views, exports, changes")
            self.audit_button.clicked.connect(lambda _=False: (run or run_modal)(AuditDialog(people, admin, self)))
            buttons.addButton(self.audit_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(buttons)
        self.resize(720, 420)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)


class AuditDialog(QDialog):
    """The audit log in a window of its own, opened from the staff screen or the home page."""

    def __init__(self, people: People, viewer: User | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit log — KAP Room")
        layout = QVBoxLayout(self)
        self.view = AuditView(people, viewer, self)
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(1100, 640)

