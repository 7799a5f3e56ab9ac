"""Start a session: protocol, client code, therapist, room, the screening answers, the intention.

A full page rather than a pop-up, so nothing is hidden behind it. Every problem is named under
the Start button and what was typed stays. A "yes" to a screening question is shown as a caution
and needs an explicit, recorded "proceed anyway" tick: the app informs, the clinician decides.
"""
from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.dose import parse_dose_mg
from kaproom.domain.music import MusicPreferences, split_languages, split_titles
from kaproom.domain.pre_dose import MUSIC_MAX, FactsParse, parse_facts
from kaproom.domain.protocol import Protocol
from kaproom.domain.session import SessionRunner
from kaproom.domain.start_checks import CLIENT_CODE_MAX, NAME_MAX, client_code_problem, therapist_problem
from kaproom.services.music_playlists import silent_phases
from kaproom.services.open_sessions import still_open_notice
from kaproom.services.session_start import Screening, SessionStart
from kaproom.services.workspace import Workspace
from kaproom.store import StoreError
from kaproom.ui.kit.buttons import enter_presses_buttons
from kaproom.ui.kit.errors import calm_message
from kaproom.ui.kit.wheel_guard import wheel_scrolls_past
from kaproom.ui.vitals.pre_dose import PreDoseForm

PAGE_MAX_WIDTH = 1500  # px: the form's reading width on a wide screen
#: The pre-dose fact (kaproom.domain.pre_dose) the music section's note is recorded as, as it always was.
MUSIC_NOTE = "music_preferences"


def _line(name: str, accessible: str, placeholder: str = "", limit: int = NAME_MAX) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setMaxLength(limit * 2)  # over-long entries get a message, not a silent cut
    return edit


def _sentence(text: str) -> str:
    """A message as a sentence: with its full stop (the facts' messages are also shown beside their field)."""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _lines(problems: list[tuple[str, QWidget]]) -> str:
    """The problems under Start: one sentence a line, never one run-on paragraph."""
    return "\n".join(_sentence(text) for text, _ in problems)


class StartPage(QMainWindow):
    """Fill in, press Start: ``sessionStarted(runner)`` with the session running."""

    sessionStarted = Signal(object)
    cancelled = Signal()

    def __init__(self, workspace: Workspace, *, therapist: str = "", therapist_fixed: bool = False,
                 demo: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.demo = demo
        self._given_therapist = therapist
        self.starting: SessionStart | None = None  # once created, retries continue this session
        self._screening_shown: tuple = ()
        self._naming_problems = False  # the error line names what stops the start (not a failed save)
        self.setObjectName("startPage")
        self.setWindowTitle("KAP Room \u2014 start a session")
        self.medicine_protocols, errors = workspace.protocols()
        self.integration_protocols, integration_errors = workspace.integration_protocols()
        self.protocols = self.medicine_protocols
        self._build(errors + integration_errors)
        self.therapist.setText(therapist)
        self.therapist.setReadOnly(therapist_fixed)
        self.protocol_choice.currentIndexChanged.connect(self._show_protocol)
        self.integration.toggled.connect(self._choose_kind)
        for edit in (self.client_code, self.therapist, self.room, self.dose):
            edit.textChanged.connect(self._recheck_problems)
        self.proceed.toggled.connect(self._recheck_problems)
        self._show_protocol()
        self._show_still_open()
        enter_presses_buttons(self)  # Back, and the question it may ask, as well as Start
        self.client_code.setFocus()

    def _show_still_open(self) -> None:
        """A session left open (the app stopped, nobody resumed it) stays open beside a new one,
        its clock still counting: say so before a second one starts, with what to do about it."""
        try:
            rows = self.workspace.store.open_sessions()
        except StoreError:
            return  # the start itself will say what is wrong with the database
        if not rows:
            return
        self.still_open.setText(still_open_notice(self.workspace, rows))
        self.still_open.setAccessibleName(self.still_open.text())
        self.still_open.show()

    # ---------------------------------------------------------------- building
    def _build(self, errors) -> None:
        title = QLabel("Start a session")
        title.setObjectName("startTitle")
        title.setStyleSheet("font-size: 22pt;")
        self.protocol_choice = QComboBox()
        self.protocol_choice.setObjectName("protocolChoice")
        self.protocol_choice.setAccessibleName("Protocol")
        for protocol in self.protocols:
            self.protocol_choice.addItem(protocol.name, protocol.id)
        wheel_scrolls_past(self.protocol_choice)
        self.integration = QCheckBox("Integration session (no medicine)")
        self.integration.setObjectName("integrationSession")
        self.integration.setAccessibleName("Integration session, without medicine: lists the integration protocols")
        self.integration.setVisible(bool(self.integration_protocols))
        self.protocol_info = QLabel()
        self.protocol_info.setObjectName("protocolInfo")
        self.protocol_info.setWordWrap(True)
        self.protocol_info.setProperty("muted", "true")
        self.protocol_info.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)  # never cut short
        self.protocol_problems = QLabel("\n".join(
            f"A clinic protocol file could not be used and is left out: {error}" for error in errors))
        self.protocol_problems.setObjectName("protocolProblems")
        self.protocol_problems.setWordWrap(True)
        self.protocol_problems.setProperty("level", "caution")
        self.protocol_problems.setVisible(bool(errors))
        self.still_open = QLabel()
        self.still_open.setObjectName("startStillOpen")
        self.still_open.setWordWrap(True)
        self.still_open.setProperty("level", "caution")
        self.still_open.hide()
        self.client_code = _line("clientCode", "Client code", "Clinic code, e.g. C-0042 (not a name)", CLIENT_CODE_MAX)
        self.therapist = _line("therapist", "Therapist", "Your name")
        self.room = _line("room", "Room", "Optional, e.g. Room 2")
        self.dose = _line("prescribedDose", "Dose as prescribed, in milligrams", "Optional: as prescribed, e.g. 300 mg",
                          limit=20)
        self.intention = QPlainTextEdit()
        self.intention.setObjectName("intention")
        self.intention.setAccessibleName("Session intention")
        self.intention.setPlaceholderText("The intention the client sets for this session, in their words")
        self.intention.setTabChangesFocus(True)
        self.intention.setMinimumHeight(90)
        # It takes the height the page has to spare, and asks for none beyond its minimum: with the
        # facts before the dose the page then fits a 1366x768 screen without scrolling.
        self.intention.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)

        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Protocol", self.protocol_choice)
        form.addRow("", self.integration)
        form.addRow("", self.protocol_info)
        form.addRow("Client code", self.client_code)
        form.addRow("Therapist", self.therapist)
        form.addRow("Room", self.room)
        form.addRow("Dose", self.dose)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.protocol_problems)
        left.addWidget(QLabel("Intention"))
        left.addWidget(self.intention, 1)
        # The facts before dosing the protocol asks for (none unless it says): built per protocol.
        self.facts: PreDoseForm | None = None
        self._facts_shown: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        self.facts_box = QVBoxLayout()
        left.addLayout(self.facts_box)

        self.screening_box = QFrame()
        self.screening_box.setObjectName("screening")
        self.screening_box.setAccessibleName("Screening questions")
        self.screening_grid = QGridLayout(self.screening_box)
        self.screening_grid.setHorizontalSpacing(14)
        self.screening_grid.setVerticalSpacing(8)
        self.screening_groups: dict[str, QButtonGroup] = {}
        self.caution = QLabel()
        self.caution.setObjectName("screeningCaution")
        self.caution.setWordWrap(True)
        self.caution.setProperty("level", "caution")
        self.caution.hide()
        self.proceed = QCheckBox("Proceed anyway: I have weighed these answers and judge the session clinically "
                                 "appropriate (recorded)")
        self.proceed.setObjectName("proceedConfirm")
        self.proceed.setAccessibleName("Proceed anyway, clinically judged")
        self.proceed.hide()
        right = QVBoxLayout()
        heading = QLabel("Screening: confirm each answer with the client today")
        heading.setWordWrap(True)
        right.addWidget(heading)
        right.addWidget(self.screening_box)
        right.addWidget(self.caution)
        right.addWidget(self.proceed)
        right.addWidget(self._music_preferences())
        right.addStretch(1)

        columns = QHBoxLayout()
        columns.setSpacing(32)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.error = QLabel()
        self.error.setObjectName("startError")
        self.error.setWordWrap(True)
        self.error.setProperty("level", "error")
        self.error.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.error.installEventFilter(self)  # the height its lines need at its width (_fit_height)
        self.error.hide()
        self.start_button = QPushButton("Start session")
        self.start_button.setObjectName("startSession")
        self.start_button.setAccessibleName("Start the session")
        self.start_button.setAutoDefault(True)
        self.start_button.clicked.connect(self.start)
        self.start_button.setEnabled(bool(self.protocols))
        self.back_button = QPushButton("Back")
        self.back_button.setObjectName("startBack")
        self.back_button.setAccessibleName("Back to the home page")
        self.back_button.clicked.connect(lambda _=False: self.go_back())
        for button in (self.start_button, self.back_button):
            button.setMinimumWidth(180)
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.leave_question = self._leave_question()
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.start_button)

        content = QWidget()
        page = QVBoxLayout(content)
        page.setContentsMargins(28, 20, 28, 20)
        page.setSpacing(14)
        page.addWidget(title)
        page.addWidget(self.still_open)
        page.addLayout(columns, 1)
        page.addWidget(self.leave_question)
        page.addLayout(buttons)
        # On a wide screen the page keeps a reading width, centred: each screening answer stays near
        # its question instead of a screen's width away from it.
        content.setMaximumWidth(PAGE_MAX_WIDTH)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        scroll.setWidget(content)
        self.setCentralWidget(scroll)

    def _choose_kind(self, integration: bool) -> None:
        """The protocols of the kind of session chosen: a medicine session's, or an integration session's."""
        self.protocols = self.integration_protocols if integration else self.medicine_protocols
        self.protocol_choice.blockSignals(True)
        self.protocol_choice.clear()
        for protocol in self.protocols:
            self.protocol_choice.addItem(protocol.name, protocol.id)
        self.protocol_choice.blockSignals(False)
        self.start_button.setEnabled(bool(self.protocols))
        self._show_protocol()

    def _show_protocol(self) -> None:
        protocol = self.protocol
        if protocol is None:
            self.protocol_info.setText("No protocol can be used; see the message below.")
            return
        hours = protocol.total_seconds / 3600
        self.protocol_info.setText(f"{protocol.description or protocol.name} {len(protocol.phases)} phases, "
                                   f"about {hours:.1f} h: " + ", ".join(p.name for p in protocol.phases) + ".")
        self._build_screening(protocol)
        self._build_facts(protocol)
        self._check_music()

    def _music_preferences(self) -> QFrame:
        """The client's music wishes; phases left with nothing that fits are named at once."""
        frame = QFrame()
        frame.setObjectName("musicPreferences")
        frame.setAccessibleName("The client's music preferences")
        self.no_lyrics = QCheckBox("No lyrics at all")
        self.no_lyrics.setObjectName("musicNoLyrics")
        self.no_lyrics.setAccessibleName("Music: no lyrics at all")
        self.no_sung = _line("musicNoSung", "No sung words in these languages", "No sung words in, e.g. en, de",
                             limit=60)
        self.avoid = _line("musicAvoid", "Tracks to avoid", "Tracks to avoid: titles, separated by ;", limit=400)
        # Anything else, in words: a note for the room and the record (the music follows the three
        # above). Recorded as the facts' "music preferences", so old and new sessions read alike.
        self.music_note = _line("musicNote", "Music: other wishes, in words (a note; the music does not follow it)",
                                "Other wishes, in words, e.g. quieter than usual", limit=MUSIC_MAX)
        self.music_check = QLabel()
        self.music_check.setObjectName("musicCheck")
        self.music_check.setWordWrap(True)
        self.music_check.setProperty("level", "caution")
        self.music_check.hide()
        self.no_lyrics.toggled.connect(lambda _on: self._check_music())
        self.no_sung.editingFinished.connect(self._check_music)
        self.avoid.editingFinished.connect(self._check_music)
        column = QVBoxLayout(frame)
        column.setContentsMargins(0, 8, 0, 0)
        column.addWidget(QLabel("Music: the client's wishes (optional)"))
        column.addWidget(self.no_lyrics)
        column.addWidget(self.no_sung)
        column.addWidget(self.avoid)
        column.addWidget(self.music_note)
        column.addWidget(self.music_check)
        return frame

    def music_preferences(self) -> MusicPreferences:
        return MusicPreferences(no_lyrics=self.no_lyrics.isChecked(), no_sung_languages=split_languages(
            self.no_sung.text()), avoid=split_titles(self.avoid.text()))

    def _check_music(self) -> None:
        """Name the phases whose music would have nothing left that fits, before the start."""
        protocol, prefs = self.protocol, self.music_preferences()
        silent: list[str] = []
        if protocol is not None and prefs.any:
            try:
                silent = silent_phases(self.workspace.store, self.workspace.playlists_dir, protocol, prefs)
            except StoreError:
                silent = []
        self.music_check.setText(
            f"Nothing in the music of {', '.join(silent)} fits these wishes: "
            f"{'that phase' if len(silent) == 1 else 'those phases'} will be silent. Choose other tracks for "
            "it in Music, or start anyway." if silent else "")
        self.music_check.setVisible(bool(silent))

    def _build_facts(self, protocol: Protocol) -> None:
        # Music preferences in words are the music section's note: one place for the client's music wishes.
        asked = tuple(name for name in protocol.pre_dose_ask if name != MUSIC_NOTE)
        required = tuple(name for name in protocol.pre_dose_required if name in asked)
        self._show_music_note_needed(MUSIC_NOTE in protocol.pre_dose_required)
        shown = (asked, required)
        if shown == self._facts_shown:
            return
        self._facts_shown = shown
        if self.facts is not None:
            self.facts_box.removeWidget(self.facts)
            self.facts.hide()
            self.facts.setParent(None)
            self.facts.deleteLater()
            self.facts = None
        if asked:
            self.facts = PreDoseForm(asked, required, columns=2)
            for edit in self.facts.fields.values():
                edit.textChanged.connect(self._recheck_problems)
            self.facts_box.addWidget(self.facts)
            self.facts.installEventFilter(self)  # its width known: the height its messages need (_fit_height)
            self.facts.show()  # now, not on the next event loop turn as a late child would be
        self._order_tabs()

    def _show_music_note_needed(self, needed: bool) -> None:
        """A protocol may need the music preferences in the record before the dose: the note says so."""
        self.music_note.setPlaceholderText("Other wishes, in words (needed before the dose)" if needed
                                           else "Other wishes, in words, e.g. quieter than usual")

    def _facts(self) -> FactsParse:
        """The facts before the dose typed on the page: the protocol's fields and the music note."""
        texts: dict[str, object] = dict(self.facts.texts()) if self.facts is not None else {}
        texts[MUSIC_NOTE] = self.music_note.text()
        return parse_facts(texts, (*(self.facts.asked if self.facts is not None else ()), MUSIC_NOTE))

    @staticmethod
    def _fit_height(widget: QWidget | None) -> None:
        """The facts and the problems under Start need the height their wrapped words take at the
        width they have: the page reckons its height as if its columns were wider, and cut each
        message after two lines (or laid the problems over the facts' last line)."""
        if widget is not None and widget.width() > 0:
            widget.setMinimumHeight(widget.heightForWidth(widget.width()) if widget.isVisible() else 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched in (self.facts, self.error) and event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self._fit_height(watched)
        return super().eventFilter(watched, event)

    def _build_screening(self, protocol: Protocol) -> None:
        if protocol.screening == self._screening_shown:
            return  # same questions: keep the answers already given
        self._screening_shown = protocol.screening
        while self.screening_grid.count():
            item = self.screening_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        self.screening_groups = {}
        for row, question in enumerate(protocol.screening):
            text = QLabel(question.text)
            text.setWordWrap(True)
            group = QButtonGroup(self)
            group.setExclusive(True)
            for column, (label, value) in enumerate((("Yes", True), ("No", False)), start=1):
                button = QRadioButton(label)
                button.setObjectName(f"screening_{question.id}_{label.lower()}")
                button.setAccessibleName(f"{question.text}: {label}")
                group.addButton(button, int(value))
                self.screening_grid.addWidget(button, row, column, Qt.AlignmentFlag.AlignLeft)
            group.idClicked.connect(self._on_answer)
            self.screening_grid.addWidget(text, row, 0)
            self.screening_groups[question.id] = group
        self.screening_grid.setColumnStretch(0, 1)
        self._update_caution()
        self._order_tabs()

    def _on_answer(self, _id: int) -> None:
        self._update_caution()
        self._recheck_problems()

    def _order_tabs(self) -> None:
        """Tab in reading order: the fields, each screening question, Start, then Back. The questions
        are made after the buttons (they follow the protocol), so Qt would put them last, and a Space
        typed after a stray Tab from the intention would press Back and lose the page."""
        chain: list[QWidget] = [self.protocol_choice, self.integration, self.client_code, self.therapist, self.room,
                                self.dose, self.intention]
        if self.facts is not None:  # the facts the protocol asks for, after the intention
            chain.extend(self.facts.order)
        for group in self.screening_groups.values():
            chain.extend(group.buttons())
        chain += [self.proceed, self.start_button, self.back_button, self.no_lyrics, self.no_sung, self.avoid,
                  self.music_note]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # ---------------------------------------------------------------- reading the form
    @property
    def protocol(self) -> Protocol | None:
        index = self.protocol_choice.currentIndex()
        return self.protocols[index] if 0 <= index < len(self.protocols) else None

    def _leave_question(self) -> QFrame:
        """Asked in the page, not in a message box (which may sound and covers the page)."""
        frame = QFrame()
        frame.setObjectName("leaveQuestion")
        text = QLabel("What you typed and answered on this page is not kept if you go back.")
        text.setWordWrap(True)
        text.setProperty("level", "caution")
        self.leave_button = QPushButton("Go back and discard it")
        self.leave_button.setObjectName("leaveDiscard")
        self.leave_button.setAccessibleName("Go back to the home page and discard this page")
        self.leave_button.clicked.connect(lambda _=False: self._leave())
        self.stay_button = QPushButton("Stay on this page")
        self.stay_button.setObjectName("leaveStay")
        self.stay_button.setAccessibleName("Stay on the start page and keep what was typed")
        self.stay_button.setAutoDefault(True)
        self.stay_button.clicked.connect(lambda _=False: self._stay())
        row = QHBoxLayout(frame)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(text, 1)
        row.addWidget(self.leave_button)
        row.addWidget(self.stay_button)
        frame.hide()
        return frame

    def go_back(self) -> bool:
        """Back to the home page; once something is typed or answered, only after the page asks
        (its contents are not kept). True if it went back."""
        if self._has_entries():
            self.leave_question.show()
            self.stay_button.setFocus()  # staying is the default: Enter or Esc keeps the page
            return False
        self._leave()
        return True

    def _leave(self) -> None:
        self.leave_question.hide()
        self.cancelled.emit()

    def _stay(self) -> None:
        self.leave_question.hide()
        self.client_code.setFocus()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape and self.leave_question.isVisible():
            self._stay()
            return
        super().keyPressEvent(event)

    def _has_entries(self) -> bool:
        typed = (self.client_code.text(), self.room.text(), self.dose.text(), self.intention.toPlainText(),
                 self.no_sung.text(), self.avoid.text(), self.music_note.text(),
                 *(str(text) for text in (self.facts.texts().values() if self.facts is not None else ())))
        return (any(text.strip() for text in typed) or self.no_lyrics.isChecked()
                or self.therapist.text().strip() != self._given_therapist.strip()
                or any(answer is not None for answer in self.answers().values()))

    def answers(self) -> dict[str, bool | None]:
        return {qid: (None if group.checkedId() < 0 else bool(group.checkedId()))
                for qid, group in self.screening_groups.items()}

    def _update_caution(self) -> None:
        protocol = self.protocol
        yes = [q.text for q in (protocol.screening if protocol else ()) if self.answers().get(q.id)]
        self.caution.setText("Caution: the answer is Yes for " + "; ".join(yes) +
                             ". Talk it through and decide whether this session should go ahead today."
                             if yes else "")
        self.caution.setVisible(bool(yes))
        self.proceed.setVisible(bool(yes))
        if not yes:
            self.proceed.setChecked(False)

    def problems(self) -> list[tuple[str, QWidget]]:
        """Everything that stops the start, each with the field to fix it in."""
        found: list[tuple[str, QWidget]] = []
        if self.protocol is None:
            found.append(("No protocol can be used.", self.protocol_choice))
        for problem, widget in ((client_code_problem(self.client_code.text()), self.client_code),
                                (therapist_problem(self.therapist.text()), self.therapist)):
            if problem:
                found.append((problem, widget))
        if len(self.room.text().strip()) > NAME_MAX:
            found.append((f"The room is at most {NAME_MAX} characters.", self.room))
        try:
            parse_dose_mg(self.dose.text())
        except ValueError as exc:
            found.append((f"{exc}.", self.dose))
        facts = self._facts()
        if self.facts is not None:
            self.facts.show_errors(facts.errors, focus=False)
            self._fit_height(self.facts)
        found += [(_sentence(message), self.facts.fields[name] if name != MUSIC_NOTE and self.facts is not None
                   else self.music_note) for name, message in facts.errors.items()]
        answers = self.answers()
        if any(value is None for value in answers.values()):
            first = next(qid for qid, value in answers.items() if value is None)
            found.append(("Answer every screening question (Yes or No).", self.screening_groups[first].buttons()[0]))
        elif any(answers.values()) and not self.proceed.isChecked():
            found.append(("A screening answer is Yes: tick \u201cProceed anyway\u201d if you judge the session "
                          "clinically appropriate, or do not start it.", self.proceed))
        return found

    # ---------------------------------------------------------------- starting
    def start(self) -> SessionRunner | None:
        problems = self.problems()
        if problems:
            self._show_error(_lines(problems))
            self._naming_problems = True
            problems[0][1].setFocus()
            return None
        try:
            runner = self._create_and_start()
        except StoreError as exc:
            self._show_error(f"The session could not be started: {calm_message(exc)} Press Start again to retry.")
            return None
        self.error.hide()
        self.sessionStarted.emit(runner)
        return runner

    @property
    def runner(self) -> SessionRunner | None:
        """The session, once created."""
        return self.starting.runner if self.starting is not None else None

    def _create_and_start(self) -> SessionRunner:
        """Each step is saved once; after a failure, Start again continues where it stopped."""
        protocol = self.protocol
        assert protocol is not None
        if self.starting is None:
            self.starting = self.workspace.session_start(
                protocol, self.client_code.text().strip(), self.therapist.text().strip(), self.room.text().strip(),
                demo=self.demo, prescribed_dose_mg=parse_dose_mg(self.dose.text()),
                music_preferences=self.music_preferences())
        answers = {qid: bool(value) for qid, value in self.answers().items()}
        screening = Screening(answers, proceed_confirmed=bool(any(answers.values()) and self.proceed.isChecked()))
        facts = self._facts().facts
        try:
            return self.starting.run(screening, self.intention.toPlainText(), pre_dose=facts or None)
        finally:
            self._lock_saved(self.starting)

    def _lock_saved(self, starting: SessionStart) -> None:
        """What is saved can no longer be changed here."""
        if starting.created:
            for widget in (self.protocol_choice, self.integration, self.client_code, self.therapist, self.room,
                           self.dose, self.no_lyrics, self.no_sung, self.avoid):
                widget.setEnabled(False)  # the session exists with these now
        if starting.screened:
            for group in self.screening_groups.values():
                for button in group.buttons():
                    button.setEnabled(False)
            self.proceed.setEnabled(False)
        if starting.intention_recorded:
            self.intention.setReadOnly(True)
        if starting.facts_recorded:
            for edit in (*(self.facts.fields.values() if self.facts is not None else ()), self.music_note):
                edit.setReadOnly(True)

    def _show_error(self, text: str) -> None:
        self._naming_problems = False
        self.error.setText(text)
        self.error.show()
        self._fit_height(self.error)

    def _recheck_problems(self, *_: object) -> None:
        """Once Start has named what stops it, the line follows the fields: it names only what is
        still to fix, and goes once nothing is (never stale words above a page filled in)."""
        if not (self._naming_problems and self.error.isVisible()):
            return
        problems = self.problems()
        if problems:
            self.error.setText(_lines(problems))
            self._fit_height(self.error)
        else:
            self._naming_problems = False
            self.error.hide()
            self.error.setText("")
