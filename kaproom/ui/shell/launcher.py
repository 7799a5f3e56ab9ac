"""Which window is up: home, the start page, or the room; resume and the demo.

One window at a time, each taking the place (and size) of the one before, so the therapist never
hunts for a window behind another.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

from kaproom.domain.clock import ScaledClock, SystemClock, from_iso
from kaproom.domain.protocol_error import ProtocolError
from kaproom.services.workspace import Workspace
from kaproom.store import SessionRow, StoreError
from kaproom.ui.kit.after_start import after_first_paint
from kaproom.ui.shell.home import HomeWindow

#: LAZY: the start page, the room (and its night colours), the session engine, the staff code and the music library
#: are loaded when first opened, not to show the home page (start-up: bench/bench_startup.py;
#: tests/test_cli.py checks which modules load), so this module imports them inside the methods
#: that open them.
if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.domain.session import SessionRunner
    from kaproom.ui.room.controller import SessionController
    from kaproom.ui.room.window import RoomWindow
    from kaproom.ui.shell.clinic_link import ClinicLink
    from kaproom.ui.start.page import StartPage

#: The demo's fast clock when the command line named none (``kaproom demo`` has its own default).
FAST_DEMO_SPEED = 30.0

#: Who is starting or resuming: (therapist name, name fixed by sign-in), or None when cancelled.
Identify = Callable[[Workspace, QWidget | None], "tuple[str, bool] | None"]
OpenReview = Callable[[Workspace, QWidget | None], QWidget | None]
#: A supervisor signing in to allow something (the words say what), or None when cancelled.
AskSupervisor = Callable[[Workspace, QWidget | None, str], "User | None"]


class Launcher(QObject):
    sessionEnded = Signal()  # a session in the room ended (the automatic backup follows)

    def __init__(self, workspace: Workspace, *, demo: bool = False, extensions: Sequence[str] | None = None,
                 dump_state: str | None = None, identify: Identify | None = None,
                 open_review: OpenReview | None = None, review_available: bool = False,
                 set_up_sign_in: Callable[[Workspace, QWidget | None], bool] | None = None,
                 change_pin: Callable[[Workspace, QWidget | None], bool] | None = None,
                 staff: Callable[[Workspace, QWidget | None], object] | None = None,
                 before_room: Callable[[], None] | None = None,
                 ask_supervisor: AskSupervisor | None = None,
                 stock_register: OpenReview | None = None) -> None:
        """``before_room`` runs before each room is made (the app sends libvlc's messages to a file)."""
        super().__init__()
        self.workspace, self.demo, self.extensions = workspace, demo, extensions
        self.dump_state = Path(dump_state) if dump_state else None
        self.identify = identify or (lambda _workspace, _parent: ("", False))
        self.open_review = open_review
        self.review_available = review_available
        self.set_up_sign_in = set_up_sign_in
        self.change_pin = change_pin
        self.staff = staff
        self.before_room = before_room
        self.ask_supervisor = ask_supervisor
        self.stock_register = stock_register
        self.window: QMainWindow | None = None
        self.room: RoomWindow | None = None
        self.demo_protocol = "lozenge-3h"  # the demo's protocol, as the command line named it
        clock = workspace.clock
        self.demo_speed = clock.speed if isinstance(clock, ScaledClock) else FAST_DEMO_SPEED
        self._extra_windows: list[QWidget] = []
        #: On a computer that joined a clinic server: its line goes on the home page and in the room.
        self.clinic_link: ClinicLink | None = None

    # ---------------------------------------------------------------- windows
    def _place(self, window: QMainWindow) -> None:
        old = self.window
        if old is not None and old is not window:
            window.setGeometry(old.geometry())
            full, maximized = old.isFullScreen(), old.isMaximized()
            old.hide()
            old.deleteLater()
            if full:
                window.showFullScreen()
            elif maximized:
                window.showMaximized()
            else:
                window.show()
        else:
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                window.setGeometry(screen.availableGeometry())  # fills the screen even without a window manager
            window.showMaximized()
        self.window = window
        window.raise_()
        window.activateWindow()

    def show_home(self, message: str = "") -> HomeWindow:
        has_users = self._has_users()
        home = HomeWindow(self.workspace, review_available=self.review_available,
                          offer_sign_in_setup=self.set_up_sign_in is not None and not has_users,
                          offer_pin_change=self.change_pin is not None and has_users,
                          offer_staff=self.staff is not None and has_users,
                          demo_speed=self.demo_speed if self.demo else None,
                          offer_stock_register=self.stock_register is not None)
        home.demoRequested.connect(self.new_demo)
        home.setUpSignInRequested.connect(self._set_up_sign_in)
        home.changePinRequested.connect(self._change_pin)
        home.staffRequested.connect(self._staff)
        home.stockRegisterRequested.connect(self._stock_register)
        home.startRequested.connect(self.show_start)
        home.resumeRequested.connect(self.resume)
        home.reviewRequested.connect(self._review)
        home.musicRequested.connect(self._music)
        if message:
            home.statusBar().showMessage(message)
        if self.clinic_link is not None:
            self.clinic_link.show_on_home(home)
        self._place(home)
        return home

    def show_start(self) -> StartPage | None:
        who = self.identify(self.workspace, self.window)
        if who is None:
            return None
        name, fixed = who
        from kaproom.ui.start.page import StartPage  # noqa: PLC0415 - see LAZY above
        page = StartPage(self.workspace, therapist=name, therapist_fixed=fixed, demo=self.demo)
        page.sessionStarted.connect(lambda runner: self.open_room(runner))
        page.cancelled.connect(lambda: self.show_home())
        self._place(page)
        return page

    def _has_users(self) -> bool:
        try:
            return self.workspace.store.has_users()
        except StoreError:
            return False

    def _unlock_entry(self, therapist: str, room: QWidget) -> bool:
        """After the privacy key: the therapist's PIN, if the clinic asks for it (settings.toml)."""
        from kaproom.services.people import People  # noqa: PLC0415 - see LAZY above
        from kaproom.ui.people.signin import unlock_entry  # noqa: PLC0415 - see LAZY above
        return unlock_entry(self.workspace, People.of(self.workspace).find(therapist), room)

    def _set_up_sign_in(self) -> None:
        if self.set_up_sign_in is not None and self.set_up_sign_in(self.workspace, self.window):
            self.show_home("Sign-in is set up: staff now sign in before a session or a review.")

    def _change_pin(self) -> None:
        if self.change_pin is not None and self.change_pin(self.workspace, self.window) and self.window is not None:
            self.window.statusBar().showMessage("Your PIN or passphrase is changed: use the new one from now on.")

    def _staff(self) -> None:
        if self.staff is not None:
            self.staff(self.workspace, self.window)

    def _stock_register(self) -> None:
        window = self.stock_register(self.workspace, self.window) if self.stock_register is not None else None
        if window is not None:
            self._extra_windows.append(window)
            window.show()

    def _review(self) -> None:
        if self.open_review is None:
            return
        window = self.open_review(self.workspace, self.window)
        if window is not None:
            self._extra_windows.append(window)
            window.show()

    def _music(self) -> QWidget:
        from kaproom.ui.music.library import open_library  # noqa: PLC0415 - see LAZY above
        window = open_library(self.workspace)
        self._extra_windows.append(window)
        window.destroyed.connect(lambda *_: self._extra_windows.remove(window)
                                 if window in self._extra_windows else None)
        window.resize(1366, 768)
        window.show()
        return window

    # ---------------------------------------------------------------- sessions
    def open_room(self, runner: SessionRunner, controller: SessionController | None = None) -> RoomWindow:
        from kaproom.ui.room.controller import SessionController  # noqa: PLC0415 - see LAZY above
        from kaproom.ui.room.window import RoomWindow  # noqa: PLC0415 - see LAZY above
        from kaproom.ui.shell.night import NightSetting  # noqa: PLC0415 - see LAZY above
        from kaproom.ui.shell.state_dump import StateDump  # noqa: PLC0415 - see LAZY above
        from kaproom.ui.shell.text_size import TextSizeSetting  # noqa: PLC0415 - see LAZY above
        if self.before_room is not None:
            self.before_room()
        controller = controller or SessionController(self.workspace, runner)
        controller.sessionEnded.connect(lambda _event: self.sessionEnded.emit())
        room = RoomWindow(controller, demo=self.demo, extensions=self.extensions)
        controller.setParent(room)
        room.leaveRequested.connect(lambda: self.leave_room(room))
        try:
            room_name = controller.session_row().room
        except StoreError:
            room_name = ""  # the colours are a courtesy: the room opens regardless
        NightSetting(self.workspace.folder, room_name).attach(room)
        TextSizeSetting(self.workspace.folder, room_name).attach(room)
        if not self.demo:
            room.privacy_unlock = lambda: self._unlock_entry(runner.author, room)
        if self.dump_state is not None:
            StateDump(room, self.dump_state)
        if self.clinic_link is not None:
            self.clinic_link.show_in_room(room)
        self.room = room
        self._place(room)
        room.focus_note()
        return room

    def leave_room(self, room: RoomWindow) -> HomeWindow | None:
        """After the end (Ctrl+W): the home page takes the room's place, for the next session or
        the review. The room is closed, not only hidden, so its music and timers let go; the home
        page is up first, so closing the room does not end the app."""
        if room is not self.window or room.controller.is_running:
            return None
        try:
            row = room.controller.session_row()
            said = f"Session {row.id} (client {row.client_code}) is closed; its record is in Review sessions."
        except Exception:  # noqa: BLE001 - the words are a courtesy; leaving must work
            said = "The session is closed; its record is in Review sessions."
        full = room.isFullScreen()
        self.window = self.room = None  # _place would only hide it
        home = self.show_home(said)
        if full:
            home.showFullScreen()
        room.close_now()
        room.deleteLater()
        return home

    def resume(self, row: SessionRow) -> RoomWindow | None:
        """Back to an open session: true elapsed time from the stored wall times, the full log."""
        who = self.identify(self.workspace, self.window)
        if who is None or not self._may_resume(row, who[0]):
            return None
        try:
            runner = self.workspace.resume(row, author=who[0] or None)
        except (StoreError, ProtocolError) as exc:
            self.show_home(f"Session {row.id} could not be resumed: {exc}")
            return None
        from kaproom.domain.session import State  # noqa: PLC0415 - see LAZY above
        from kaproom.ui.room.controller import SessionController  # noqa: PLC0415 - see LAZY above
        controller = SessionController(self.workspace, runner)
        if runner.state.state == State.CREATED:
            controller.start_if_needed()  # created, then the app stopped before the start
        else:
            controller.record_resumed()
        room = self.open_room(runner, controller)
        after_first_paint(room, room.check_record)  # edited while the app was away? Said once the room is up
        return room

    def _may_resume(self, row: SessionRow, resumer: str) -> bool:
        """Another therapist's session only with a supervisor's permission; every resume audited."""
        try:
            if not self.workspace.store.has_users():
                return True  # a fresh install or the demo: anyone, nothing to audit, the staff code stays unloaded
        except StoreError:
            pass  # e.g. staff missing: the check below says so
        from kaproom.services.handover import check_resume, record_resume  # noqa: PLC0415 - see LAZY above
        from kaproom.services.people import People  # noqa: PLC0415 - see LAZY above
        people = People.of(self.workspace)
        try:
            check = check_resume(people, resumer, row)
            approver = None
            if check.needs_supervisor:
                ask = self.ask_supervisor
                approver = ask(self.workspace, self.window, check.purpose) if ask is not None else None
                if approver is None:
                    self.show_home(check.refusal())
                    return False
            record_resume(people, check, approver)
        except StoreError as exc:  # AccessRefused included: the words say why
            self.show_home(str(exc))
            return False
        return True

    def resume_latest(self) -> RoomWindow | HomeWindow | None:
        rows = self.workspace.store.open_sessions()
        if not rows:
            return self.show_home("There is no open session to resume.")
        return self.resume(rows[0])

    # ---------------------------------------------------------------- demo
    def new_demo(self, speed: float) -> RoomWindow | HomeWindow | None:
        """From the demo's home page: a new demo session in real time (1.0) or on the fast clock."""
        self.workspace.clock = SystemClock() if speed == 1.0 else ScaledClock(speed)
        return self.start_demo(self.demo_protocol)

    def start_demo(self, protocol_id: str, resume: bool = False) -> RoomWindow | HomeWindow | None:
        """A fresh demo session (older open demo sessions are closed as ended early), or resume one."""
        self.demo_protocol = protocol_id
        store = self.workspace.store
        open_rows = store.open_sessions()
        if resume and open_rows:
            if isinstance(self.workspace.clock, ScaledClock):  # the demo's fast clock, as if never stopped
                self.workspace.clock = self.workspace.clock.continued_from(from_iso(open_rows[0].created_at))
            return self.resume_latest()
        from kaproom.services.demo import start_demo_session  # noqa: PLC0415 - see LAZY above
        try:
            runner = start_demo_session(self.workspace, protocol_id)
        except (StoreError, ProtocolError) as exc:
            return self.show_home(f"The demo could not start: {exc}")
        return self.open_room(runner)
