"""The review window: the session list (filters above, counts, import) and one session at a time.

Two pages in one window rather than a window per session: a supervisor works down a list,
opening, signing and going back, and the list keeps its filters and scroll position meanwhile.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.people import Permission
from kaproom.export import importer
from kaproom.export.importer import ImportResult
from kaproom.export.records import LocalRecords, Records
from kaproom.export.report_data import SessionReport
from kaproom.services.people import People
from kaproom.store.queries import ListTotals
from kaproom.ui.kit.buttons import enter_presses_buttons
from kaproom.ui.kit.errors import quietly, run_guarded, say
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.screen_fit import fit_to_screen
from kaproom.ui.kit.theme import current_palette
from kaproom.ui.people.idle_lock import ReviewLock
from kaproom.ui.review.filters import FilterBar
from kaproom.ui.review.list_model import COLUMNS, SESSION_ROLE, SessionListModel
from kaproom.ui.review.session_view import SessionView
from kaproom.ui.review.style import stylesheet

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace

WINDOW_TITLE = "KAP Room — review"


def may(user: User | None, permission: Permission) -> bool:
    """None is the open install (nobody registered yet), where everything is allowed."""
    return user is None or user.may(permission)


def own_sessions_only(user: User | None) -> str:
    """The therapist whose sessions are the only ones this user may see, or "" for all."""
    return "" if user is None or user.may(Permission.VIEW_ALL_SESSIONS) else user.name


def observation_minimums(workspace: Workspace) -> dict[str, float]:
    """Each protocol's observation time before discharge (id -> minutes), for "discharged too soon"."""
    try:
        protocols, _errors = workspace.protocols()
    except Exception:  # noqa: BLE001 - without them the list judges by the default protocol's minimum
        return {}
    return {p.id: float(p.alerts.get("discharge_observation_minutes", 0) or 0) for p in protocols}


MAX_COLUMN_WIDTH = 260
#: The columns that elide first on a narrow screen, the longest free text first.
SHRINKABLE_COLUMNS = tuple([key for _, key in COLUMNS].index(key)
                           for key in ("protocol", "therapist", "room", "ended", "client"))
PREFERRED_SIZE = (1500, 900)
AskOpen = Callable[[], "str | None"]


class ReviewWindow(QWidget):
    def __init__(self, workspace: Workspace, user_name: str = "supervisor", user: User | None = None,
                 parent: QWidget | None = None, ask_bundle: AskOpen | None = None,
                 records: Records | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewWindow")
        #: This computer's record, or the clinic server's copies (``kaproom review --clinic``).
        self.records: Records = records or LocalRecords(workspace)
        self.setWindowTitle(f"{WINDOW_TITLE} · {self.records.where}" if self.records.where else WINDOW_TITLE)
        self._palette = current_palette(QApplication.instance())  # the setting's colours (high contrast, night)
        self.setStyleSheet(stylesheet(QApplication.instance()))
        self.workspace, self.user_name, self.user = workspace, user_name, user
        self.ask_bundle: AskOpen = ask_bundle or self._ask_bundle_with_dialog
        self.ask_trust_room: Callable[[str, str], bool] = self._ask_trust_room_with_dialog
        self.review_lock: ReviewLock | None = None

        self.model = SessionListModel(workspace.store, only_therapist=own_sessions_only(user),
                                      observation_minutes=observation_minimums(workspace),
                                      records=records)
        self._headings: list[int] = []  # measured by _fit_columns when rows arrive; laid out on each resize
        self._wanted: list[int] = []
        self.filters = FilterBar()
        self.filters.changed.connect(self._filter_changed)
        self.totals = QLabel("")
        self.totals.setObjectName("listTotals")
        self.table = self._list_view()
        self.open_button = QPushButton("Open session")
        self.open_button.setObjectName("openSession")
        self.open_button.clicked.connect(self.open_selected)
        self.import_button = QPushButton("Import bundle…")
        self.import_button.setObjectName("importBundle")
        self.import_button.setToolTip("Add a session exported as a JSON bundle on another computer")
        self.import_button.clicked.connect(self.import_bundle)
        self.message = plain_label("reviewMessage")

        list_page = QWidget()
        list_layout = QVBoxLayout(list_page)
        list_layout.addWidget(self.filters)
        list_layout.addWidget(self.totals)
        list_layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.open_button)
        list_layout.addLayout(buttons)

        self.session_view = SessionView(workspace, user_name, user, records=self.records)
        self.apply_permissions()
        self.session_view.back.connect(self.show_list)
        self.session_view.signed.connect(lambda _event: self.refresh_list())
        self.pages = QStackedWidget()
        self.pages.addWidget(list_page)
        self.pages.addWidget(self.session_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.pages)
        enter_presses_buttons(self)
        fit_to_screen(self, PREFERRED_SIZE)
        self.refresh_list()
        self._focus_list()
        self._record_listing()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        """A closed review counts no idle time (it may be shown again: the board reuses its window)."""
        if self.review_lock is not None:
            self.review_lock.stop()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        if self.review_lock is not None:
            self.review_lock.start()
        super().showEvent(event)

    def _list_view(self) -> QTableView:
        view = QTableView()
        view.setObjectName("sessionList")
        view.setModel(self.model)
        view.setSortingEnabled(True)
        view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setTabKeyNavigation(False)  # Tab goes on to the buttons; rows are chosen with the arrows
        view.setAlternatingRowColors(True)
        view.verticalHeader().setVisible(False)
        # A selected row selects every column, and Qt would draw every heading in bold, wider than
        # the widths measured for them: the headings stay as they are, the row shows the selection.
        view.horizontalHeader().setHighlightSections(False)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
        view.horizontalHeader().setStretchLastSection(True)
        view.doubleClicked.connect(self._open_index)
        view.activated.connect(self._open_index)  # Enter on a row
        view.setAccessibleName("Sessions")
        view.viewport().installEventFilter(self)
        return view

    def set_user(self, user: User) -> None:
        """Someone else signed in (e.g. to unlock): their name goes on sign-offs and exports from now on."""
        self.user, self.user_name = user, user.name
        self.session_view.set_user(user)
        self.model.only_therapist = own_sessions_only(user)
        self.apply_permissions()
        self.model.set_filter(self.filters.current())
        self._show_totals()

    def apply_permissions(self) -> None:
        """Offer only what the signed-in person may do (the service refuses the rest anyway)."""
        # Bundles come into this computer's own record: not offered over the clinic server's copies.
        self.import_button.setVisible(may(self.user, Permission.IMPORT) and not self.records.where)
        own_only = bool(self.model.only_therapist)
        self.filters.therapist.setEnabled(not own_only)
        self.filters.therapist.setToolTip("You see your own sessions only." if own_only else "")
        self.session_view.apply_permissions()

    # ---------------------------------------------------------------- the list
    def _filter_changed(self, flt: object) -> None:
        self.model.set_filter(flt)  # type: ignore[arg-type]
        self._show_totals()

    def refresh_list(self) -> None:
        """Re-read the list (after a sign-off or an import), keeping filters and sort order."""
        run_guarded(self.message, lambda: self.filters.set_choices(self.records.therapists(), self.records.rooms()))
        self.model.reload()
        self._show_totals()
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Columns as wide as their heading and the rows loaded so far, within reason (measured
        here, once the rows change), then laid out in the list's width (:meth:`_lay_out_columns`)."""
        self.table.ensurePolished()
        header = self.table.horizontalHeader()
        header.ensurePolished()
        metrics = header.fontMetrics()
        columns = self.model.columnCount()
        self._headings = [metrics.horizontalAdvance(str(self.model.headerData(c, Qt.Orientation.Horizontal))) + 14
                          for c in range(columns)]
        self._wanted = [min(MAX_COLUMN_WIDTH, max(self._headings[c], self.table.sizeHintForColumn(c) + 12))
                        for c in range(columns)]
        self._lay_out_columns()

    def _lay_out_columns(self) -> None:
        """Where the wanted widths are wider than the list, the text columns give way (their cells
        elide, the tooltip has the full text) so that the last one, Signed off, stays in sight
        without scrolling. Cheap: a resize of the window comes here without measuring rows again."""
        widths = list(self._wanted)
        over = sum(widths) - self.table.viewport().width()
        for column in SHRINKABLE_COLUMNS:
            if over <= 0:
                break
            give = max(0, min(over, widths[column] - self._headings[column]))
            widths[column] -= give
            over -= give
        for column in range(len(widths) - 1):  # the last one takes the rest of the width
            self.table.setColumnWidth(column, widths[column])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """The list's visible width changed (the window shown, maximised, resized): lay it out again."""
        if event.type() == QEvent.Type.Resize and watched is self.table.viewport() and self._wanted:
            self._lay_out_columns()
        return False

    def _show_totals(self) -> None:
        if self.model.error:
            say(self.message, self.model.error, "error")
            self.totals.setText("")
            return
        run_guarded(self.message, lambda: self.records.totals(self.model.filter), self._show_counts)

    def _show_counts(self, t: ListTotals) -> None:
        parts = [f"{t.sessions} session{'s' if t.sessions != 1 else ''}", f"{t.with_alerts} with alerts",
                 f"{t.not_signed} not signed"]
        if t.amended_after_signoff:
            parts.append(f"{t.amended_after_signoff} amended after sign-off")
        if t.discharged_too_soon:
            parts.append(f"{t.discharged_too_soon} discharged too soon after the dose")
        self.totals.setText(" · ".join(parts))

    def _record_listing(self) -> None:
        # The list is shown either way; a failed audit write is reported by verify.
        quietly(lambda: People.of(self.workspace).record(self.user, "sessions_listed",
                                                         {"count": self.model.total, "via": "gui"}), None)

    # ---------------------------------------------------------------- opening a session
    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.data(index, SESSION_ROLE)
        if row is not None:
            self.open_session(row.uid)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            say(self.message, "Choose a session in the list first.", "error")
            return
        self._open_index(rows[0])

    def open_session(self, session_ref: str | int) -> bool:
        return run_guarded(self.message, lambda: self.session_view.load(session_ref), self._show_session) is not None

    def _show_session(self, report: SessionReport) -> SessionReport:
        self.pages.setCurrentWidget(self.session_view)
        self.session_view.timeline.setFocus()
        return report

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """The high-contrast or night setting switched (in a room, while the review is open): the
        review's own colours follow it, as the rest of the app's do."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange,
                            QEvent.Type.StyleChange):  # a window hears of the app's new colours by these
            self.follow_colours()

    def follow_colours(self) -> None:
        palette = current_palette(QApplication.instance())
        if palette == self._palette:
            return
        self._palette = palette
        self.setStyleSheet(stylesheet(QApplication.instance()))
        self.table.viewport().update()
        self.session_view.follow_colours()

    def show_list(self) -> None:
        self.pages.setCurrentIndex(0)
        self.refresh_list()
        self._focus_list(self.session_view.report_uid)

    def _focus_list(self, session_uid: str | None = None) -> None:
        """The keyboard starts in the list, on the session just reviewed (else the first), so
        Down and Enter open the next one without the mouse."""
        row = self.model.row_of(session_uid) if session_uid else None
        if row is None and self.model.rowCount() > 0:
            row = 0
        if row is not None:
            index = self.model.index(row, 0)
            self.table.setCurrentIndex(index)  # selects the whole row (rows are selected as one)
            self.table.scrollTo(index)
        self.table.setFocus()

    # ---------------------------------------------------------------- import
    def _ask_bundle_with_dialog(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a session bundle", "", "KAP Room bundle (*.json)")
        return path or None

    def import_bundle(self) -> ImportResult | None:
        path = self.ask_bundle()
        if not path:
            return None
        # A refused (tampered) bundle says which event; nothing was added. A room seen for the first
        # time is asked about (its key's fingerprint), and trusted only on a yes.
        return run_guarded(self.message, lambda: importer.import_bundle(self.workspace, path, self.user,
                                                                        trust_new=self.ask_trust_room),
                           self._imported)

    def _ask_trust_room_with_dialog(self, room: str, fingerprint: str) -> bool:
        answer = QMessageBox.question(
            self, "A room not seen before — KAP Room",
            f"This bundle comes from {room}, which this computer has not imported from before.\n\n"
            f"Its room key's fingerprint is {fingerprint}. Check it with {room} (on the room's computer: "
            "kaproom room-key). Trust this key for every bundle from that room from now on?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _imported(self, result: ImportResult) -> ImportResult:
        say(self.message, result.message, "ok")
        self.refresh_list()
        return result


def open_review(workspace: Workspace, user_name: str = "supervisor", user: User | None = None, *,
                lock: bool = True, records: Records | None = None) -> ReviewWindow:
    """The review window for the app shell: a top-level window titled "KAP Room — review".

    With ``lock`` it locks itself after the clinic's idle time or when the desktop locks
    (:class:`kaproom.ui.people.idle_lock.ReviewLock`); whoever signs in to unlock signs off from then on.
    """
    window = ReviewWindow(workspace, user.name if user is not None else user_name, user, records=records)
    if lock:
        window.review_lock = ReviewLock(workspace, window, user)
        window.review_lock.user_changed.connect(window.set_user)
    return window
