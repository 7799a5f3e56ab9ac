"""The first page: resume the open session (offered first, after a crash or reboot), start a new
one, or review past sessions."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kaproom.services.open_sessions import describe_open_session, phase_name_of
from kaproom.services.workspace import Workspace
from kaproom.store import SessionRow
from kaproom.ui.kit.buttons import button_text, enter_presses_buttons
from kaproom.ui.kit.errors import calm_message, run_guarded
from kaproom.ui.shell.backup_line import BackupLine


class HomeWindow(QMainWindow):
    """The first page. Cheap to open: it reads the sessions index, and a protocol only to name the
    phase of a session left open (after a crash)."""

    startRequested = Signal()
    resumeRequested = Signal(object)  # SessionRow
    reviewRequested = Signal()
    setUpSignInRequested = Signal()
    changePinRequested = Signal()
    staffRequested = Signal()
    stockRegisterRequested = Signal()
    musicRequested = Signal()
    demoRequested = Signal(float)  # the demo's clock speed: 1.0 is real time

    def __init__(self, workspace: Workspace, *, review_available: bool = False, offer_sign_in_setup: bool = False,
                 offer_pin_change: bool = False, offer_staff: bool = False, demo_speed: float | None = None,
                 offer_stock_register: bool = False, parent: QWidget | None = None) -> None:
        """``demo_speed`` (the demo's fast clock) makes this the demo's home page: marked DEMO, and a
        new demo session is started in real time or on the fast clock, as the person chooses."""
        super().__init__(parent)
        self.workspace = workspace
        self.setObjectName("homeWindow")
        self.setWindowTitle("KAP Room")
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(48, 36, 48, 36)
        column.setSpacing(16)
        title = QLabel("KAP Room")
        title.setObjectName("homeTitle")  # its size is in the app's style sheet
        self.demo_marker: QLabel | None = None
        if demo_speed is None:
            column.addWidget(title)
        else:  # the same calm mark as the demo's room
            self.demo_marker = QLabel("DEMO")
            self.demo_marker.setObjectName("demoMarker")
            self.demo_marker.setAccessibleName("Demo: not real clients, kept in the demo database")
            self.demo_marker.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            heading = QHBoxLayout()
            heading.setSpacing(24)
            heading.addWidget(title)
            heading.addWidget(self.demo_marker)
            heading.addStretch(1)
            column.addLayout(heading)
            column.addWidget(self._note("demoIntro", "A demonstration: its sessions are examples, kept in their own "
                                        "database apart from real records, with no sign-in.", "info", muted=True))
        for warning in workspace.warnings:
            column.addWidget(self._note("homeWarning", warning, "caution"))
        self.resume_buttons: list[QPushButton] = []
        # Whatever went wrong is said, not only a store error: the page must still open.
        open_rows = run_guarded(lambda exc: column.addWidget(self._note(
            "homeProblem", f"Open sessions could not be read: {calm_message(exc)}", "error")),
            workspace.store.open_sessions, also=(Exception,)) or []
        if open_rows:
            column.addWidget(self._note("resumeIntro", "A session was not closed (the app or the computer stopped). "
                                        "Resume it to continue with the true elapsed time and its full log:",
                                        "caution"))
        for row in open_rows:
            described = describe_open_session(row, phase_name=self._phase_name(row))
            button = QPushButton(button_text(f"Resume {described}"))
            button.setObjectName(f"resume_{row.id}")
            button.setAccessibleName(f"Resume session {row.id}")
            button.clicked.connect(lambda _=False, row=row: self.resumeRequested.emit(row))
            column.addWidget(button)
            self.resume_buttons.append(button)
        self.demo_buttons: list[QPushButton] = []
        if demo_speed is not None:
            for speed, text, name in (
                    (1.0, "New demo session in real time (to follow by hand)", "homeDemoRealTime"),
                    (demo_speed, f"New demo session, fast ({demo_speed:g} times real time)", "homeDemoFast")):
                button = QPushButton(text)
                button.setObjectName(name)
                button.setAccessibleName(text)
                button.clicked.connect(lambda _=False, speed=speed: self.demoRequested.emit(speed))
                column.addWidget(button)
                self.demo_buttons.append(button)
        self.start_button = QPushButton("Start a new session")
        self.start_button.setObjectName("homeStart")
        self.start_button.setAccessibleName("Start a new session")
        self.start_button.clicked.connect(self.startRequested.emit)
        if demo_speed is None:  # the demo starts its sessions itself, with the clock chosen above
            column.addWidget(self.start_button)
        self.review_button = QPushButton("Review sessions" if review_available
                                         else "Review sessions (not available here)")
        self.review_button.setObjectName("homeReview")
        self.review_button.setAccessibleName("Review past sessions")
        self.review_button.setEnabled(review_available)
        self.review_button.clicked.connect(self.reviewRequested.emit)
        column.addWidget(self.review_button)
        self.music_button = QPushButton("Music")
        self.music_button.setObjectName("homeMusic")
        self.music_button.setAccessibleName("Music: the clinic's library and each phase's playlist")
        self.music_button.clicked.connect(self.musicRequested.emit)
        column.addWidget(self.music_button)
        self.sign_in_button: QPushButton | None = None
        if offer_sign_in_setup:  # a fresh install: the guided first step towards named, signed records
            column.addWidget(self._note("signInIntro", "Nobody signs in yet, so entries are not tied to a person. "
                                        "First step: create the clinic's first admin, who then adds the staff.",
                                        "caution"))
            self.sign_in_button = QPushButton("Set up staff sign-in")
            self.sign_in_button.setObjectName("homeSetUpSignIn")
            self.sign_in_button.setAccessibleName("Set up staff sign-in: create the first admin")
            self.sign_in_button.clicked.connect(self.setUpSignInRequested.emit)
            column.addWidget(self.sign_in_button)
        self.change_pin_button: QPushButton | None = None
        if offer_pin_change:
            self.change_pin_button = QPushButton("Change my PIN or passphrase")
            self.change_pin_button.setObjectName("homeChangePin")
            self.change_pin_button.setAccessibleName("Change my own PIN or passphrase")
            self.change_pin_button.clicked.connect(self.changePinRequested.emit)
            column.addWidget(self.change_pin_button)
        self.staff_button: QPushButton | None = None
        if offer_staff:  # admins manage the accounts there; supervisors read the audit log
            self.staff_button = QPushButton("Staff and audit log")
            self.staff_button.setObjectName("homeStaff")
            self.staff_button.setAccessibleName("Staff accounts and the audit log (admins and supervisors)")
            self.staff_button.clicked.connect(self.staffRequested.emit)
            column.addWidget(self.staff_button)
        self.stock_register_button: QPushButton | None = None
        if offer_stock_register:  # supervisors (where staff sign in) keep the controlled-substance register
            self.stock_register_button = QPushButton("Controlled-substance register")
            self.stock_register_button.setObjectName("homeStockRegister")
            self.stock_register_button.setAccessibleName("The controlled-substance stock register (supervisors)")
            self.stock_register_button.clicked.connect(self.stockRegisterRequested.emit)
            column.addWidget(self.stock_register_button)
        column.addStretch(1)
        self.backup_line = BackupLine(workspace)
        column.addWidget(self.backup_line)
        self._column = column
        column.addWidget(self._note("homeFolder", f"Data folder: {workspace.folder}", "info", muted=True))
        self.setCentralWidget(content)
        enter_presses_buttons(self)  # the focus starts on a button: Enter must press it
        (self.resume_buttons[0] if self.resume_buttons
         else self.demo_buttons[0] if self.demo_buttons else self.start_button).setFocus()

    def add_status_line(self, widget: QWidget) -> None:
        """A quiet line under the backup line (the clinic server's, on a computer that joined one)."""
        self._column.insertWidget(self._column.indexOf(self.backup_line) + 1, widget)

    def _phase_name(self, row: SessionRow) -> str:
        return phase_name_of(self.workspace, row)

    @staticmethod
    def _note(name: str, text: str, level: str, muted: bool = False) -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setAccessibleName(text)
        label.setWordWrap(True)
        label.setProperty("level", level)
        if muted:
            label.setProperty("muted", "true")
        return label
