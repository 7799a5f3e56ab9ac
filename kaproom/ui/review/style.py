"""Colours and the style sheet of the review window, built on the app's calm dark theme.

Supervisors review in an office, often for an hour at a time, so the review keeps the room's
low-glare palette but uses denser tables (smaller type than the room's arm's-length text). Every
colour pair used for text here is listed in ``TEXT_PAIRS`` and checked for WCAG AA contrast in
the tests, like the theme's own pairs.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from kaproom.ui.kit import theme
from kaproom.ui.kit.theme import DAY, HIGH_CONTRAST, NIGHT, Palette

TABLE_POINTS = 12
#: Amendments in blue, the one colour the theme has none of: per palette, each checked for contrast.
AMENDED = {DAY: "#9cc3e6", NIGHT: "#8fa9c2", HIGH_CONTRAST: "#a6d8ff"}


@dataclass(frozen=True)
class ReviewColours:
    """The review's colours in one palette (the day's, the night's or high contrast's)."""

    palette: Palette
    table_background: str
    table_alternate: str
    muted_text: str
    amended_text: str
    after_signoff_text: str
    after_signoff_background: str
    level_text: Mapping[str, str]
    intact_text: str
    broken_text: str
    broken_background: str


def colours_for(p: Palette) -> ReviewColours:
    return ReviewColours(p, table_background=p.input, table_alternate=p.surface, muted_text=p.text_muted,
                         amended_text=AMENDED.get(p, AMENDED[DAY]), after_signoff_text=p.error,
                         after_signoff_background=p.error_background,
                         level_text={"caution": p.soon, "urgent": p.overdue, "ok": p.ok}, intact_text=p.ok,
                         broken_text=p.error, broken_background=p.error_background)


def colours(app: QCoreApplication | None = None) -> ReviewColours:
    """The colours of the setting the app shows now (high contrast, night or the day's)."""
    return colours_for(theme.current_palette(app))


#: The day's colours, by name (the review follows the setting through :func:`colours`).
_DAY = colours_for(DAY)
TABLE_BACKGROUND = _DAY.table_background
TABLE_ALTERNATE = _DAY.table_alternate
MUTED_TEXT = _DAY.muted_text
AMENDED_TEXT = _DAY.amended_text
AFTER_SIGNOFF_TEXT = _DAY.after_signoff_text
AFTER_SIGNOFF_BACKGROUND = _DAY.after_signoff_background
LEVEL_TEXT = _DAY.level_text
INTACT_TEXT = _DAY.intact_text
BROKEN_TEXT = _DAY.broken_text
BROKEN_BACKGROUND = _DAY.broken_background


def text_pairs(p: Palette) -> tuple[tuple[str, str, str], ...]:
    """Every text colour the review shows in palette ``p``, on its background."""
    c = colours_for(p)
    return (
        ("timeline text", p.text, c.table_background),
        ("timeline text, alternate rows", p.text, c.table_alternate),
        ("muted columns", c.muted_text, c.table_background),
        ("muted columns, alternate rows", c.muted_text, c.table_alternate),
        ("amendment", c.amended_text, c.table_background),
        ("amendment, alternate rows", c.amended_text, c.table_alternate),
        ("amended after sign-off", c.after_signoff_text, c.after_signoff_background),
        ("caution", c.level_text["caution"], c.table_alternate),
        ("urgent", c.level_text["urgent"], c.table_alternate),
        ("intact badge", c.intact_text, p.background),
        ("broken badge", c.broken_text, c.broken_background),
        ("selected row", p.text_strong, p.selection),
        ("table heading", p.text, p.surface_raised),
    )


TEXT_PAIRS = text_pairs(DAY)


def stylesheet(app: QCoreApplication | None = None, palette: Palette | None = None) -> str:
    """The review's own pieces (selected by object name) in the app's colours now, after the
    theme's sheet unless ``app`` already has it: a second copy of the whole sheet would make Qt
    match every widget against both."""
    themed = app is not None and bool(app.property("kaproomThemed"))
    p = palette or theme.current_palette(app)
    return ("" if themed else theme.stylesheet(palette=p)) + _own(colours_for(p))


def _own(c: ReviewColours) -> str:
    t = c.palette
    return f"""
    QTableView {{ background: {c.table_background}; alternate-background-color: {c.table_alternate};
        color: {t.text}; gridline-color: {t.border}; border: 1px solid {t.border}; font-size: {TABLE_POINTS}pt;
        selection-background-color: {t.selection}; selection-color: {t.text_strong}; }}
    QHeaderView {{ font-size: {TABLE_POINTS}pt; }}
    QHeaderView::section {{ background: {t.surface_raised}; color: {t.text}; padding: 4px 6px; border: none;
        border-right: 1px solid {t.border}; border-bottom: 1px solid {t.border}; font-size: {TABLE_POINTS}pt; }}
    QScrollBar:horizontal {{ background: {t.surface}; height: 14px; }}
    QScrollBar::handle:horizontal {{ background: {t.border}; min-width: 30px; border-radius: 4px; }}
    QScrollBar::add-line:horizontal, QScrollBar::sub-line:horizontal {{ width: 0; }}
    QTextBrowser {{ background: {t.surface}; color: {t.text}; border: 1px solid {t.border};
        font-size: {TABLE_POINTS}pt; }}
    QWidget#reviewFilters QWidget, QWidget#timelineKinds QCheckBox {{ font-size: {TABLE_POINTS}pt; }}
    QDateEdit {{ background: {t.input}; color: {t.text_strong}; border: 1px solid {t.border}; padding: 4px; }}
    QDateEdit:disabled {{ color: {t.text_muted}; }}
    QTabWidget::pane {{ border: 1px solid {t.border}; }}
    QTabBar::tab {{ background: {t.surface}; color: {t.text}; padding: 6px 12px; border: 1px solid {t.border}; }}
    QTabBar::tab:selected {{ background: {t.surface_raised}; color: {t.text_strong}; }}
    QLabel#sessionTitle {{ color: {t.text_strong}; font-size: {theme.Sizes().phase - 4}pt; font-weight: 600; }}
    QLabel#sessionFacts, QLabel#listTotals {{ color: {t.text_muted}; font-size: {TABLE_POINTS}pt; }}
    QLabel#integrityBadge {{ padding: 4px 10px; border-radius: 4px; font-weight: 700; }}
    QLabel#integrityBadge[intact="true"] {{ color: {c.intact_text}; border: 1px solid {c.intact_text}; }}
    QLabel#integrityBadge[intact="false"] {{ color: {c.broken_text}; background: {c.broken_background};
        border: 2px solid {c.broken_text}; }}
    QLabel#signoffStatus[amendedAfter="true"] {{ color: {c.after_signoff_text};
        background: {c.after_signoff_background}; padding: 6px; border-radius: 4px; }}
    QLabel#reviewMessage {{ font-size: {TABLE_POINTS}pt; }}
    QLabel#reviewMessage[level="error"] {{ color: {t.error}; background: {t.error_background}; padding: 6px;
        border-radius: 4px; }}
    QLabel#reviewMessage[level="ok"] {{ color: {t.ok}; }}
    """
