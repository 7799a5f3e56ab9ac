"""The chart's phase names stay readable when phases are short (issue 26, point 11): they stagger
on two rows rather than run into each other ("Arrival... Dosing") or vanish (no "Deep")."""
from __future__ import annotations

import itertools

from PySide6.QtGui import QFont, QFontMetricsF

from kaproom.export.chart import phase_label_layout


def test_every_phase_name_of_the_lozenge_protocol_is_whole_and_no_two_overlap(qapp, protocol):
    font = QFont()
    font.setPointSizeF(8.0)
    fm = QFontMetricsF(font)
    width, total = 480.0, protocol.total_seconds  # the PDF chart's plot, about 13 cm wide
    starts, at = [], 0.0
    for phase in protocol.phases:
        starts.append((width * at / total, phase.name))
        at += phase.seconds
    placed = phase_label_layout(starts, fm.horizontalAdvance, width, 6.0)
    assert [text for _x, _row, text in placed] == [phase.name for phase in protocol.phases]
    for row in (0, 1):
        spans = sorted((x, x + fm.horizontalAdvance(text)) for x, r, text in placed if r == row)
        assert all(a_end <= b_start for (_a, a_end), (b_start, _b) in itertools.pairwise(spans))
        assert all(end <= width for _x, end in spans)


def test_names_that_cannot_all_fit_are_cut_but_never_vanish(qapp):
    starts = [(float(x), f"Phase number {x}") for x in range(0, 100, 10)]
    placed = phase_label_layout(starts, lambda text: 6.0 * len(text), 100.0, 2.0)
    assert len(placed) == 10 and all(text[:3] == "Pha" for _x, _row, text in placed)
