"""The modified Aldrete score in the discharge checklist: five boxes of 0-2 points, those the
record can answer filled in with their basis in words, activity and respiration typed by the
therapist; the total and the protocol's minimum shown as they are typed. Only shows and collects:
the judgement is :mod:`kaproom.domain.aldrete`'s, the saving the vitals panel's."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QSizePolicy, QWidget

from kaproom.domain.aldrete import ADVISORY, ITEM_IDS, LABELS, WORDS, Aldrete, AldreteItem, parse_points
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.theme import set_level


class PointsEdit(QLineEdit):
    """A box for 0, 1 or 2 points, as wide as its hint "0-2" needs in the type it is shown in
    (a fixed 40 px cut the hint to "…", and more so at the larger text size)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        hint = super().sizeHint()
        return QSize(max(40, self.fontMetrics().horizontalAdvance("0-2") + 30), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self.sizeHint()


class AldreteBox(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aldreteBox")
        self.setAccessibleName("Modified Aldrete score")
        self.minimum = 9.0
        self.items: list[AldreteItem] = []
        self.fields: dict[str, QLineEdit] = {}
        self.bases: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 4, 0, 4)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)  # each box's basis, wrapped on a narrow column, apart from the next
        self.title = plain_label("aldreteTitle", "Modified Aldrete")
        self.total = plain_label("aldreteTotal", "")
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.total, 0, 1, 1, 2)
        row = 1
        for item_id in ITEM_IDS:
            edit = PointsEdit()
            edit.setObjectName(f"aldrete_{item_id}")
            edit.setMaxLength(3)
            edit.setPlaceholderText("0-2")
            edit.setToolTip("\n".join(f"{points} · {words}" for points, words in WORDS[item_id].items()))
            edit.setAccessibleName(f"Aldrete {LABELS[item_id]}, 0 to 2")
            edit.textChanged.connect(lambda _text: self._show_total())
            basis = plain_label(f"aldreteBasis_{item_id}", "")
            basis.setProperty("muted", "true")
            grid.addWidget(QLabel(LABELS[item_id]), row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(basis, row, 2)
            self.fields[item_id], self.bases[item_id] = edit, basis
            row += 1
        grid.setColumnStretch(2, 1)
        self.advisory = plain_label("aldreteAdvisory", ADVISORY)
        self.advisory.setProperty("muted", "true")
        grid.addWidget(self.advisory, row, 0, 1, 3)

    def load(self, items: Sequence[AldreteItem], minimum: float) -> None:
        """A fresh score: the record's suggestions filled in, the rest empty."""
        self.items, self.minimum = list(items), minimum
        for item in items:
            self.fields[item.id].setText("" if item.points is None else str(item.points))
            self.bases[item.id].setText(("from the record: " if item.from_record else "") + item.basis)
        self.title.setText(f"Modified Aldrete (minimum {minimum:g})")
        self._show_total()

    @property
    def order(self) -> list[QWidget]:
        """In person first (they are what is left to type), then what the record suggested."""
        return [self.fields[item_id] for item_id in ("activity", "respiration", "circulation", "consciousness",
                                                     "oxygen")]

    def score(self) -> Aldrete | str:
        """The score as typed, or a message naming the box that is not 0, 1 or 2."""
        points: dict[str, int] = {}
        for item_id in ITEM_IDS:
            value = parse_points(self.fields[item_id].text())
            if isinstance(value, str):
                return f"Aldrete {LABELS[item_id].lower()}: {value}"
            if value is not None:
                points[item_id] = value
        return Aldrete(points, self.minimum)

    def _show_total(self) -> None:
        score = self.score()
        if isinstance(score, str):
            self.total.setText(score)
            set_level(self.total, "error")
            return
        if score.complete:
            text = f"{score.total} of 10" + (" — below the minimum: write why" if score.below_minimum else "")
        else:
            text = f"{score.total} so far" + (f" (at most {score.highest_possible}: below the minimum)"
                                              if score.below_minimum else "")
        self.total.setText(text)
        set_level(self.total, "caution" if score.below_minimum else "")
