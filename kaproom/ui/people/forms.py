"""The pieces every people dialog is made of: a line field, the message line under the fields,
the small OK / Cancel form, a new secret typed twice, and showing only what a role may do.

Sign-in (:mod:`.signin`) and the staff accounts (:mod:`.accounts`) are built from these, so the
two look and refuse alike: refusals appear in words under the fields, the typed name stays, and
only a secret is cleared.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from kaproom.domain.people import NAME_MAX, PASSPHRASE_MAX, PASSPHRASE_MIN, PIN_MIN, InputRefused, Permission, User
from kaproom.services.people import AccessRefused
from kaproom.ui.kit.errors import calm_message
from kaproom.ui.kit.labels import plain_label

#: Fields accept a little more than the rules allow, so an over-long entry gets a message, not a silent cut.
NAME_FIELD_MAX = NAME_MAX * 2
SECRET_FIELD_MAX = PASSPHRASE_MAX * 2
RunDialog = Callable[[QDialog], bool]


def run_modal(dialog: QDialog) -> bool:
    return dialog.exec() == QDialog.DialogCode.Accepted


def line_field(name: str, secret: bool = False, limit: int = NAME_FIELD_MAX) -> QLineEdit:
    """A one-line field; a secret one shows dots and gives input methods nothing to remember."""
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setMaxLength(limit)
    if secret:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
                                 | Qt.InputMethodHint.ImhNoPredictiveText)
    return edit


def message_label(name: str) -> QLabel:
    """The line under the fields where a refusal or a result is said."""
    label = plain_label(name)  # typed names are shown as text, never as markup
    label.setAccessibleName("Message")
    return label


class FormDialog(QDialog):
    """A small form: fields, a message line under them, OK / Cancel. ``attempt`` does the work."""

    def __init__(self, title: str, intro: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(440)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.message = message_label("signInMessage")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("signInOk")
        self.buttons.accepted.connect(self.attempt)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.user: User | None = None

    def attempt(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def refuse(self, exc: Exception, clear: tuple[QLineEdit, ...] = (), focus: QWidget | None = None) -> None:
        """Say why in words under the fields. A refusal of what was typed clears only the secrets
        in ``clear``; when the record could not be reached (a locked or full database) nothing
        typed is cleared: the message says it is kept."""
        self.message.setText(calm_message(exc))
        if not isinstance(exc, InputRefused | AccessRefused):
            clear = ()
        for edit in clear:
            edit.clear()
        (focus or (clear[0] if clear else self.ok_button)).setFocus()

    def done_with(self, user: User, *secrets: QLineEdit) -> None:
        """Accepted: keep who it was, clear the secrets typed, close."""
        self.user = user
        for edit in secrets:
            edit.clear()
        self.accept()


class NewSecretFields:
    """PIN or passphrase typed twice, for a new account or a reset."""

    def __init__(self, form: QFormLayout, label: str = "PIN or passphrase") -> None:
        self.secret_edit = line_field("newSecret", secret=True, limit=SECRET_FIELD_MAX)
        self.repeat_edit = line_field("newSecretRepeat", secret=True, limit=SECRET_FIELD_MAX)
        rule = f"{PIN_MIN}+ digits, or {PASSPHRASE_MIN}+ characters"
        self.secret_edit.setPlaceholderText(rule)
        self.secret_edit.ensurePolished()  # the theme's font, which the rule is measured in
        # The rule is the field's only explanation: never cut to "6+ digits, or 10+ c..."
        self.secret_edit.setMinimumWidth(self.secret_edit.fontMetrics().horizontalAdvance(rule) + 24)
        form.addRow(label, self.secret_edit)
        form.addRow("Again, to be sure", self.repeat_edit)

    def values(self) -> tuple[str, str]:
        return self.secret_edit.text(), self.repeat_edit.text()

    def edits(self) -> tuple[QLineEdit, QLineEdit]:
        return self.secret_edit, self.repeat_edit

    def clear(self) -> None:
        self.secret_edit.clear()
        self.repeat_edit.clear()


def show_only_permitted(user: User | None, widgets: Mapping[QWidget, Permission]) -> None:
    """Hide what this user's role may not do (the service refuses it as well)."""
    for widget, permission in widgets.items():
        widget.setVisible(user is None or user.may(permission))
