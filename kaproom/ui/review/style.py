"""Colours and the style sheet of the review window, built on the app's calm dark theme.

Supervisors review in an office, often for an hour at a time, so the review keeps the room's
low-glare palette but uses denser tables (smaller type than the room's arm's-length text). Every
colour pair used for text here is listed in ``TEXT_PAIRS`` and checked for WCAG AA contrast in
the tests, like the theme's own pairs.
"""
from __future__ import annotations

from kaproom.ui.kit import theme

TABLE_BACKGROUND = theme.INPUT
TABLE_ALTERNATE = theme.SURFACE
MUTED_TEXT = theme.TEXT_MUTED
AMENDED_TEXT = "#9cc3e6"
AFTER_SIGNOFF_TEXT = theme.ERROR
AFTER_SIGNOFF_BACKGROUND = theme.ERROR_BACKGROUND
LEVEL_TEXT = {"caution": theme.SOON, "urgent": theme.OVERDUE, "ok": theme.OK}
INTACT_TEXT = theme.OK
BROKEN_TEXT = theme.ERROR
BROKEN_BACKGROUND = theme.ERROR_BACKGROUND
TABLE_POINTS = 12

TEXT_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("timeline text", theme.TEXT, TABLE_BACKGROUND),
    ("timeline text, alternate rows", theme.TEXT, TABLE_ALTERNATE),
    ("muted columns", MUTED_TEXT, TABLE_BACKGROUND),
    ("muted columns, alternate rows", MUTED_TEXT, TABLE_ALTERNATE),
    ("amendment", AMENDED_TEXT, TABLE_BACKGROUND),
    ("amendment, alternate rows", AMENDED_TEXT, TABLE_ALTERNATE),
    ("amended after sign-off", AFTER_SIGNOFF_TEXT, AFTER_SIGNOFF_BACKGROUND),
    ("caution", LEVEL_TEXT["caution"], TABLE_ALTERNATE),
    ("urgent", LEVEL_TEXT["urgent"], TABLE_ALTERNATE),
    ("intact badge", INTACT_TEXT, theme.BACKGROUND),
    ("broken badge", BROKEN_TEXT, BROKEN_BACKGROUND),
    ("selected row", theme.TEXT_STRONG, theme.SELECTION),
    ("table heading", theme.TEXT, theme.SURFACE_RAISED),
)


def stylesheet(app=None) -> str:
    """The review's own pieces (selected by object name), after the theme's sheet unless ``app``
    already has it: a second copy of the whole sheet would make Qt match every widget against both."""
    themed = app is not None and bool(app.property("kaproomThemed"))
    return ("" if themed else theme.stylesheet()) + _own()


def _own() -> str:
    t = theme
    return f"""
    QTableView {{ background: {TABLE_BACKGROUND}; alternate-background-color: {TABLE_ALTERNATE};
        color: {t.TEXT}; gridline-color: {t.BORDER}; border: 1px solid {t.BORDER}; font-size: {TABLE_POINTS}pt;
        selection-background-color: {t.SELECTION}; selection-color: {t.TEXT_STRONG}; }}
    QHeaderView {{ font-size: {TABLE_POINTS}pt; }}
    QHeaderView::section {{ background: {t.SURFACE_RAISED}; color: {t.TEXT}; padding: 4px 6px; border: none;
        border-right: 1px solid {t.BORDER}; border-bottom: 1px solid {t.BORDER}; font-size: {TABLE_POINTS}pt; }}
    QScrollBar:horizontal {{ background: {t.SURFACE}; height: 14px; }}
    QScrollBar::handle:horizontal {{ background: {t.BORDER}; min-width: 30px; border-radius: 4px; }}
    QScrollBar::add-line:horizontal, QScrollBar::sub-line:horizontal {{ width: 0; }}
    QTextBrowser {{ background: {t.SURFACE}; color: {t.TEXT}; border: 1px solid {t.BORDER};
        font-size: {TABLE_POINTS}pt; }}
    QWidget#reviewFilters QWidget, QWidget#timelineKinds QCheckBox {{ font-size: {TABLE_POINTS}pt; }}
    QDateEdit {{ background: {t.INPUT}; color: {t.TEXT_STRONG}; border: 1px solid {t.BORDER}; padding: 4px; }}
    QDateEdit:disabled {{ color: {t.TEXT_MUTED}; }}
    QTabWidget::pane {{ border: 1px solid {t.BORDER}; }}
    QTabBar::tab {{ background: {t.SURFACE}; color: {t.TEXT}; padding: 6px 12px; border: 1px solid {t.BORDER}; }}
    QTabBar::tab:selected {{ background: {t.SURFACE_RAISED}; color: {t.TEXT_STRONG}; }}
    QLabel#sessionTitle {{ color: {t.TEXT_STRONG}; font-size: {t.Sizes().phase - 4}pt; font-weight: 600; }}
    QLabel#sessionFacts, QLabel#listTotals {{ color: {t.TEXT_MUTED}; font-size: {TABLE_POINTS}pt; }}
    QLabel#integrityBadge {{ padding: 4px 10px; border-radius: 4px; font-weight: 700; }}
    QLabel#integrityBadge[intact="true"] {{ color: {INTACT_TEXT}; border: 1px solid {INTACT_TEXT}; }}
    QLabel#integrityBadge[intact="false"] {{ color: {BROKEN_TEXT}; background: {BROKEN_BACKGROUND};
        border: 2px solid {BROKEN_TEXT}; }}
    QLabel#signoffStatus[amendedAfter="true"] {{ color: {AFTER_SIGNOFF_TEXT}; background: {AFTER_SIGNOFF_BACKGROUND};
        padding: 6px; border-radius: 4px; }}
    QLabel#reviewMessage {{ font-size: {TABLE_POINTS}pt; }}
    QLabel#reviewMessage[level="error"] {{ color: {t.ERROR}; background: {t.ERROR_BACKGROUND}; padding: 6px;
        border-radius: 4px; }}
    QLabel#reviewMessage[level="ok"] {{ color: {t.OK}; }}
    """
