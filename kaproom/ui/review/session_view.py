"""One session, read-only: title and integrity badge, vitals chart, timeline, facts, sign-off.

Everything shown comes from one :func:`kaproom.export.report_data.gather`, the same data the PDF
prints, so screen and paper never disagree. Nothing here can change an event; the only write is
a sign-off, which is appended to the chain like any other event.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.people import Permission, may_see_session
from kaproom.export.course import client_course
from kaproom.export.records import LocalRecords, Records
from kaproom.export.report_data import SessionReport
from kaproom.services.paper import date_format
from kaproom.services.people import AccessRefused, People
from kaproom.services.settings import load_settings
from kaproom.services.signoff import Integrity
from kaproom.ui.kit.buttons import button_text
from kaproom.ui.kit.errors import quietly
from kaproom.ui.kit.theme import set_level
from kaproom.ui.review.chart_widget import VitalsChart
from kaproom.ui.review.course import course_html
from kaproom.ui.review.course_chart import CourseTrendChart
from kaproom.ui.review.details import details_html, facts_line
from kaproom.ui.review.exports import ExportBar
from kaproom.ui.review.signoff_panel import SignOffPanel
from kaproom.ui.review.timeline_model import CATEGORIES, TimelineModel

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace

NO_LINE_CHOSEN = "Choose a line to read it in full here."
TIMELINE_WIDTHS = (60, 130, 120, 180, 160, 560, 110)  # "#", session time, clock, phase, what, details, by
#: The narrow columns fit their heading and their widest text, up to these widths; the rest of the
#: width goes to Details, the column a supervisor reads (on a laptop it was left ~160 px).
TIMELINE_CAPS = {0: 70, 1: 130, 2: 130, 3: 170, 4: 140, 6: 140}


def integrity_from(report: SessionReport) -> Integrity:
    chain = report.integrity
    return Integrity(chain.intact, chain.events, chain.broken_at, chain.reason)


class IntegrityBadge(QLabel):
    """"Record intact" in green, or "Record broken at event N" boxed in red, with the reason as tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("integrityBadge")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.integrity: Integrity | None = None

    def show_integrity(self, integrity: Integrity) -> None:
        self.integrity = integrity
        self.setText(("✓ " if integrity.intact else "✗ ") + integrity.label)
        self.setToolTip(integrity.detail)
        self.setAccessibleName(f"{integrity.label}. {integrity.detail}")
        set_level(self, "true" if integrity.intact else "false", "intact")


class KindFilter(QWidget):
    """A tick box per group of event kinds; emits the ticked groups."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineKinds")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Show:"))
        self.boxes: dict[str, QCheckBox] = {}
        for label, _ in CATEGORIES:
            box = QCheckBox(button_text(label))
            box.setObjectName("kind_" + label.split()[0].lower().replace("-", ""))
            box.setChecked(True)
            box.toggled.connect(self._emit)
            layout.addWidget(box)
            self.boxes[label] = box
        layout.addStretch(1)

    def ticked(self) -> list[str]:
        return [label for label, box in self.boxes.items() if box.isChecked()]

    def _emit(self, *_: object) -> None:
        self.changed.emit(self.ticked())


class SessionView(QWidget):
    """Shows one session; ``back`` asks the window to return to the list, ``signed`` after a sign-off."""

    back = Signal()
    signed = Signal(object)

    def __init__(self, workspace: Workspace, user_name: str = "supervisor", user: User | None = None,
                 parent: QWidget | None = None, records: Records | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionView")
        self.workspace, self.user_name, self.user = workspace, user_name, user
        self.records: Records = records or LocalRecords(workspace)
        self.report: SessionReport | None = None
        self.report_uid: str | None = None  # the session the timeline shows: a chosen line never outlives it
        self.dates = date_format(load_settings(workspace.folder)[0])  # the clinic's date format

        self.back_button = QPushButton("← Sessions")
        self.back_button.setObjectName("backToList")
        self.back_button.setAccessibleName("Back to the list of sessions")  # not "leftwards arrow"
        self.back_button.setToolTip("Back to the list of sessions (Esc)")
        self.back_button.setShortcut(Qt.Key.Key_Escape)
        self.back_button.clicked.connect(self.back.emit)
        self.title = QLabel("")
        self.title.setObjectName("sessionTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.facts = QLabel("")
        self.facts.setObjectName("sessionFacts")
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.facts.setWordWrap(True)
        self.badge = IntegrityBadge()

        self.chart = VitalsChart()
        self.kinds = KindFilter()
        self.timeline_model = TimelineModel()
        self.timeline = self._timeline_view()
        self.kinds.changed.connect(self._filter_kinds)
        self.event_detail = QLabel(NO_LINE_CHOSEN)
        self.event_detail.setObjectName("eventDetail")
        self.event_detail.setWordWrap(True)
        self.event_detail.setTextFormat(Qt.TextFormat.PlainText)
        self.event_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.event_detail.setProperty("muted", True)
        self.timeline.selectionModel().currentRowChanged.connect(self._show_event_detail)

        self.details = QTextBrowser()
        self.details.setObjectName("sessionDetails")
        self.details.setAccessibleName("Session details")
        self.details.setOpenLinks(False)
        self.course_trend = CourseTrendChart()  # under the course in the details, when a measure has a trend
        self.signoff = SignOffPanel(workspace, user_name, user, records=self.records)
        self.signoff.signed.connect(self._after_signoff)
        self.exports = ExportBar(workspace, user_name, user, records=self.records)
        self.exports.exported.connect(lambda _result: self._show_details())  # the new export in the list
        self.apply_permissions()

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        heading = QVBoxLayout()
        heading.addWidget(self.title)
        heading.addWidget(self.facts)
        top.addLayout(heading, 1)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.chart, 2)
        left_layout.addWidget(self.kinds)
        left_layout.addWidget(self.timeline, 3)
        left_layout.addWidget(self.event_detail)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.details, 1)
        right_layout.addWidget(self.course_trend)
        right_layout.addWidget(self.signoff)
        right_layout.addWidget(self.exports)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([1200, 420])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def _timeline_view(self) -> QTableView:
        view = QTableView()
        view.setObjectName("timeline")
        view.setModel(self.timeline_model)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setTabKeyNavigation(False)  # Tab leaves for the sign-off and exports; arrows move in it
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().setVisible(False)
        rows = view.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: 10,000 events stay quick
        rows.setDefaultSectionSize(view.fontMetrics().height() + 10)
        header = view.horizontalHeader()
        for column, width in enumerate(TIMELINE_WIDTHS):
            view.setColumnWidth(column, width)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        view.setAccessibleName("Timeline of the session")
        return view

    def set_user(self, user: User) -> None:
        self.user, self.user_name = user, user.name
        self.signoff.set_user(user)
        self.exports.user, self.exports.user_name = user, user.name
        self.apply_permissions()

    def apply_permissions(self) -> None:
        """Sign-off and export appear only for those allowed (a therapist reading their own session)."""
        user = self.user
        self.signoff.setVisible(user is None or user.may(Permission.SIGN_OFF))
        self.exports.setVisible(user is None or user.may(Permission.EXPORT))

    # ---------------------------------------------------------------- loading
    def load(self, session_ref: str | int) -> SessionReport:
        """Gather and show one session (by number or uid), and record that it was viewed. A refusal
        (not theirs to see, a locked database) is raised for the caller to say (the review window
        does, through :func:`kaproom.ui.kit.errors.run_guarded`)."""
        row = self.records.row(session_ref)
        if not may_see_session(self.user, row.therapist):
            raise AccessRefused(f"Session {row.id} was run by {row.therapist}: a therapist may review only "
                                "their own sessions.")
        report = self.records.report(row.uid)
        self.show_report(report)
        People.of(self.workspace).record_view(self.user, report.header.uid, report.header.number)
        return report

    def show_report(self, report: SessionReport) -> None:
        self.report = report
        h = report.header
        demo = "  (demo)" if h.demo else ""
        self.title.setText(f"Session {h.number} · client {h.client_code}{demo}")
        self.facts.setText(facts_line(report, self.dates))
        self.badge.show_integrity(integrity_from(report))
        self.chart.set_report(report)
        same_session = self.report_uid == h.uid
        kept = self._chosen_seq() if same_session else None
        self.report_uid = h.uid
        self.timeline_model.set_rows(report.timeline, broken_at=report.integrity.broken_at)
        self._fit_timeline_columns()
        self._choose_again(kept)
        self._show_details()
        self.signoff.set_report(report)
        self.exports.set_report(report)

    def _fit_timeline_columns(self) -> None:
        """Each narrow column as wide as its heading and its widest text, within its cap. Texts are
        measured in bold: urgent and after-sign-off rows are shown bold, and must not elide."""
        view, model = self.timeline, self.timeline_model
        view.ensurePolished()
        bold = view.font()
        bold.setBold(True)
        cells, heads = QFontMetrics(bold), view.horizontalHeader().fontMetrics()
        for column, cap in TIMELINE_CAPS.items():
            heading = heads.horizontalAdvance(str(model.headerData(column, Qt.Orientation.Horizontal))) + 24
            widest = max((cells.horizontalAdvance(text) for text in model.column_texts(column)), default=0) + 16
            view.setColumnWidth(column, min(cap, max(heading, widest)))

    def _show_details(self) -> None:
        """The fixed facts, and the exports of this record that the audit log holds."""
        if self.report is None:
            return
        uid = self.report.header.uid
        # The facts still show when the audit log cannot be read just now.
        exports = quietly(lambda: People.of(self.workspace).exports_of(uid, self.user), [])
        report = self.report
        course = quietly(lambda: client_course(self.workspace.store, report.header.client_code, report), [])
        self.details.setHtml(details_html(self.report, exports, self.dates) + course_html(course, uid, self.dates))
        self.course_trend.set_course(course if len(course) >= 2 else [])

    def follow_colours(self) -> None:
        """The setting's colours changed: the timeline and the facts are drawn in them again."""
        self.timeline.viewport().update()
        self._show_details()

    def reload(self) -> None:
        if self.report is not None:
            self.show_report(self.records.report(self.report.header.uid))

    def _filter_kinds(self, categories: list[str]) -> None:
        kept = self._chosen_seq()
        self.timeline_model.set_categories(categories)
        self._choose_again(kept)

    def _chosen_seq(self) -> int | None:
        current = self.timeline.currentIndex()
        line = self.timeline_model.line(current.row()) if current.isValid() else None
        return line.row.seq if line is not None else None

    def _choose_again(self, seq: int | None) -> None:
        """After the timeline is rebuilt, show the same event again if it is still there.

        A model reset clears the chosen line without a signal, so the line under the table would
        otherwise go on describing an event that is hidden, or one of the session opened before.
        """
        if seq is None or not self.select_event(seq):
            self.event_detail.setText(NO_LINE_CHOSEN)

    def _show_event_detail(self, current: QModelIndex | None, _previous: QModelIndex | None = None) -> None:
        """The chosen line in full: long notes do not fit in a table cell."""
        row = current.row() if current is not None and current.isValid() else -1
        line = self.timeline_model.line(row) if row >= 0 else None
        if line is None:
            self.event_detail.setText(NO_LINE_CHOSEN)
            return
        model = self.timeline_model
        head = " · ".join(filter(None, (f"#{line.row.seq}", model.data(model.index(row, 1)),
                                        model.data(model.index(row, 2)), line.row.phase_name,
                                        f"{model.data(model.index(row, 4))} by {line.row.author}")))
        self.event_detail.setText(f"{head}\n{model.data(model.index(row, 5))}")

    def _after_signoff(self, event: object) -> None:
        self.reload()
        self.signed.emit(event)

    def select_event(self, seq: int) -> bool:
        """Scroll to and select one event (e.g. the target of an amendment)."""
        line = self.timeline_model.line_of(seq)
        if line is None:
            return False
        index = self.timeline_model.index(line, 0)
        self.timeline.selectRow(line)
        self.timeline.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.timeline.horizontalScrollBar().setValue(0)
        return True
