"""The room's look: a dark, low-glare palette that stays legible at arm's length, and nothing that
moves or makes a sound.

The room is dimmed for hours; a white screen would glare and a blinking cursor or an animated
menu would draw the eye away from the client. Every text colour is checked against its
background with the WCAG 2 contrast ratio (AA: 4.5 for text), see ``TEXT_PAIRS``.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from kaproom.ui.kit.after_start import after_start_up

# Colours as #rrggbb. Backgrounds are dark grey with a little warmth, never pure black (harsh
# edges) and text is a warm off-white, never pure white (glare).
BACKGROUND = "#15171a"
SURFACE = "#1d2024"
SURFACE_RAISED = "#262a2f"
INPUT = "#1a1d21"
BORDER = "#3b4148"
TEXT = "#d8d2c6"
TEXT_MUTED = "#a29c90"
TEXT_STRONG = "#ece6da"
ACCENT = "#d9ad6a"  # the current phase
OK = "#93c29e"
SOON = "#e0b866"
OVERDUE = "#ec9484"
ERROR = "#f0a090"
ERROR_BACKGROUND = "#3a2220"
SELECTION = "#34424f"
DEMO_BACKGROUND = "#3b3160"
DEMO_TEXT = "#ece4ff"
COVER = "#0e0f11"
COVER_TEXT = "#8a857c"

#: Non-text parts a person must see (check boxes, focus frames): WCAG asks 3:1 against their background.
UI_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("check box and radio outline", TEXT_MUTED, BACKGROUND),
    ("ticked check box", ACCENT, BACKGROUND),
    ("focus frame", ACCENT, INPUT),
)

#: (what, foreground, background) for every text colour the screens use.
TEXT_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("body text", TEXT, BACKGROUND),
    ("body text on panels", TEXT, SURFACE),
    ("body text on buttons", TEXT, SURFACE_RAISED),
    ("typed text", TEXT_STRONG, INPUT),
    ("session clock", TEXT_STRONG, BACKGROUND),
    ("muted text", TEXT_MUTED, BACKGROUND),
    ("muted text on panels", TEXT_MUTED, SURFACE),
    ("current phase", ACCENT, SURFACE),
    ("current phase label", ACCENT, BACKGROUND),
    ("vitals ok", OK, BACKGROUND),
    ("vitals soon", SOON, BACKGROUND),
    ("vitals overdue", OVERDUE, BACKGROUND),
    ("error message", ERROR, ERROR_BACKGROUND),
    ("error text", ERROR, BACKGROUND),
    ("selected log entry", TEXT_STRONG, SELECTION),
    ("demo marker", DEMO_TEXT, DEMO_BACKGROUND),
    ("privacy cover hint", COVER_TEXT, COVER),
)

LEVEL_COLOURS = {"ok": OK, "info": TEXT_MUTED, "soon": SOON, "caution": SOON, "overdue": OVERDUE,
                 "error": ERROR, "urgent": OVERDUE}


def _channel(value: int) -> float:
    c = value / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour (0 black .. 1 white)."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"expected #rrggbb, got {colour!r}")
    r, g, b = (int(text[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio, from 1 (same colour) to 21 (black on white)."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class Sizes:
    """Font sizes in points; the room screen scales them with the window height."""

    body: float = 15
    note: float = 17
    log: float = 15
    clock: float = 72
    phase: float = 26
    small: float = 12

    def scaled(self, factor: float) -> Sizes:
        f = max(0.7, min(1.4, factor))
        return Sizes(*(round(v * f, 1) for v in (self.body, self.note, self.log, self.clock, self.phase,
                                                     self.small)))


def stylesheet(sizes: Sizes = Sizes()) -> str:
    """One style sheet for all KAP Room windows (object names select the special pieces)."""
    return _look() + font_sizes(sizes)


def font_sizes(sizes: Sizes) -> str:
    """Every font size of the sheet. The room screen, whose sizes follow the screen, sets only
    these on itself: a second copy of the whole sheet would make Qt match every widget against
    both."""
    return f"""
    QWidget {{ font-size: {sizes.body}pt; }}
    QLabel#sessionClock {{ font-size: {sizes.clock}pt; }}
    QLabel#phaseLabel {{ font-size: {sizes.phase}pt; }}
    QLabel#vitalsDue, QLabel#sinceDose {{ font-size: {sizes.body + 2}pt; }}
    QListWidget#logView {{ font-size: {sizes.log}pt; }}
    QLineEdit#noteInput {{ font-size: {sizes.note}pt; }}
    QLabel[muted="true"], QLabel#privacyHint {{ font-size: {sizes.small}pt; }}
    """


def _look() -> str:
    """Colours, borders and spacing (no font sizes: :func:`font_sizes`)."""
    return f"""
    QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}
    QLabel, QCheckBox, QRadioButton {{ background: transparent; }}
    QWidget#roomPanelsInner, QScrollArea#roomPanelsScroll {{ background: {SURFACE}; border: none; }}
    QToolTip {{ background: {SURFACE_RAISED}; color: {TEXT}; border: 1px solid {BORDER}; }}
    QDialog {{ background: {SURFACE}; border: 1px solid {BORDER}; }}
    QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
    QLineEdit, QPlainTextEdit, QComboBox, QSpinBox {{
        background: {INPUT}; color: {TEXT_STRONG}; border: 1px solid {BORDER}; border-radius: 4px;
        padding: 6px; selection-background-color: {SELECTION}; selection-color: {TEXT_STRONG}; }}
    QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus {{ border: 1px solid {ACCENT}; }}
    QLineEdit:disabled, QPlainTextEdit:disabled {{ color: {TEXT_MUTED}; }}
    QComboBox QAbstractItemView {{ background: {SURFACE}; color: {TEXT}; selection-background-color: {SELECTION}; }}
    QPushButton {{ background: {SURFACE_RAISED}; color: {TEXT}; border: 1px solid {BORDER}; border-radius: 4px;
        padding: 6px 12px; }}
    QPushButton:focus {{ border: 1px solid {ACCENT}; }}
    QPushButton:disabled {{ color: {TEXT_MUTED}; background: {SURFACE}; }}
    QCheckBox, QRadioButton {{ spacing: 8px; }}
    QCheckBox::indicator, QRadioButton::indicator {{ width: 18px; height: 18px; background: {INPUT};
        border: 2px solid {TEXT_MUTED}; }}
    QRadioButton::indicator {{ border-radius: 11px; }}
    QCheckBox::indicator {{ border-radius: 3px; }}
    QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; }}
    QCheckBox::indicator:focus, QRadioButton::indicator:focus {{ border-color: {TEXT_STRONG}; }}
    QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: {BORDER}; }}
    QScrollArea, QScrollArea > QWidget > QWidget {{ border: none; }}
    QScrollBar:vertical {{ background: {SURFACE}; width: 14px; }}
    QScrollBar::handle:vertical {{ background: {BORDER}; min-height: 30px; border-radius: 4px; }}
    QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
    QMenu {{ background: {SURFACE}; color: {TEXT}; border: 1px solid {BORDER}; }}
    QMenu::item:selected {{ background: {SELECTION}; color: {TEXT_STRONG}; }}
    QFrame#musicStrip, QFrame#musicStripArea, QFrame#roomPrompt, QFrame#roomPanels {{
        background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 4px; }}
    QLabel#sessionClock {{ color: {TEXT_STRONG}; font-weight: 600; }}
    QLabel#phaseLabel {{ color: {ACCENT}; }}
    QLabel#vitalsDue[level="ok"] {{ color: {OK}; }}
    QLabel#sinceDose {{ color: {TEXT_MUTED}; }}
    QLabel#vitalsDue[level="soon"] {{ color: {SOON}; font-weight: 600; }}
    QLabel#vitalsDue[level="overdue"] {{ color: {OVERDUE}; font-weight: 600; }}
    QLabel#demoMarker {{ background: {DEMO_BACKGROUND}; color: {DEMO_TEXT}; font-weight: 700;
        padding: 4px 14px; border-radius: 4px; }}
    QLabel[phaseState="done"] {{ color: {TEXT_MUTED}; }}
    QLabel[phaseState="current"] {{ color: {ACCENT}; background: {SURFACE}; font-weight: 700;
        border: 2px solid {ACCENT}; border-radius: 4px; }}
    QLabel[phaseState="next"] {{ color: {TEXT}; }}
    QListWidget#logView {{ background: {SURFACE}; color: {TEXT}; border: 1px solid {BORDER};
        selection-background-color: {SELECTION}; selection-color: {TEXT_STRONG}; }}
    QListWidget#logView::item {{ padding: 3px 6px; }}
    QLineEdit#noteInput {{ padding: 10px; }}
    QLabel#saveError {{ background: {ERROR_BACKGROUND}; color: {ERROR}; padding: 8px; border-radius: 4px; }}
    QLabel[level="error"], QLabel[level="urgent"] {{ color: {ERROR}; }}
    QLabel[level="caution"], QLabel[level="soon"] {{ color: {SOON}; }}
    QLabel[level="ok"] {{ color: {OK}; }}
    QLabel[muted="true"] {{ color: {TEXT_MUTED}; }}
    QLabel#homeTitle {{ font-size: 28pt; }}
    QWidget#privacyCover {{ background: {COVER}; }}
    QLabel#privacyHint {{ background: {COVER}; color: {COVER_TEXT}; }}
    QFrame#musicStripArea QFrame#musicStrip {{ border: none; background: transparent; }}
    QLineEdit[level="error"] {{ border: 2px solid {ERROR}; }}
    QLabel#vitalsTitle, QLabel#dischargeTitle {{ font-weight: 600; }}
    QWidget#vitalsPanel QLineEdit, QWidget#vitalsPanel QComboBox {{ padding: 4px; }}
    QWidget#vitalsPanel QPushButton {{ padding: 4px 12px; }}
    QFrame#doseConfirm {{ background: {SURFACE_RAISED}; border: 1px solid {BORDER}; border-left: 6px solid {ACCENT};
        border-radius: 4px; padding: 4px; }}
    QFrame#alertBanner {{ background: {SURFACE}; border: 1px solid {BORDER}; border-left: 6px solid {SOON};
        border-radius: 4px; }}
    QFrame#alertBanner[level="urgent"] {{ background: {ERROR_BACKGROUND}; border-left: 6px solid {OVERDUE}; }}
    QLabel#alertText {{ color: {TEXT_STRONG}; }}
    QLabel#alertLevel {{ color: {SOON}; font-weight: 700; }}
    QLabel#alertLevel[level="urgent"] {{ color: {OVERDUE}; }}
    """


def set_level(widget: QWidget, value: str | bool, name: str = "level") -> None:
    """Set a property the style sheet selects on (``[level="error"]``) and restyle the widget,
    only when it changed: restyling matches every rule of the sheet again. A widget not yet
    polished takes the new value when it is first shown."""
    # Here, not at the top: making Qt's namespace type took 27-48 ms on a quiet machine, and the
    # home page, which imports this module, needs none of it (bench/bench_startup.py, home page).
    from PySide6.QtCore import Qt  # noqa: PLC0415 - start-up, see above

    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    if widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)


STYLE = "Fusion"  # the same look on every desktop, and one the dark palette suits


def new_application(argv: list[str]) -> QApplication:
    """The QApplication, made with KAP Room's style from the start: Qt makes it inside, whereas
    setting it afterwards from Python wraps the style object and its many enums (~8 ms of start-up).
    Fractional screen scales (1.25, 1.5) are followed as they are: that is Qt 6's default rounding
    policy (PassThrough, checked by a test), so nothing is set before the app exists."""
    app = QApplication([*argv[:1], "-style", STYLE, *argv[1:]])
    app.setProperty("kaproomStyled", True)
    return app


def apply_theme(app: QApplication) -> None:
    """Dark palette, no animated menus or tooltips, a caret that does not blink."""
    if not app.property("kaproomStyled"):  # an app not made by new_application (tests, tools)
        app.setStyle(STYLE)
    # Menus, combo pop-ups and tooltips are never in the first picture; naming their effects loads
    # every enum of Qt's namespace (~20 ms), so that waits until the window is up.
    after_start_up(lambda: calm_effects(app))
    app.setCursorFlashTime(0)  # a steady caret: nothing on screen blinks
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND, QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: INPUT, QPalette.ColorRole.AlternateBase: SURFACE,
        QPalette.ColorRole.Text: TEXT_STRONG, QPalette.ColorRole.Button: SURFACE_RAISED,
        QPalette.ColorRole.ButtonText: TEXT, QPalette.ColorRole.Highlight: SELECTION,
        QPalette.ColorRole.HighlightedText: TEXT_STRONG, QPalette.ColorRole.ToolTipBase: SURFACE_RAISED,
        QPalette.ColorRole.ToolTipText: TEXT, QPalette.ColorRole.PlaceholderText: TEXT_MUTED,
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(TEXT_MUTED))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet())
    app.setProperty("kaproomThemed", True)  # windows with pieces of their own add only those


def calm_effects(app: QApplication) -> None:
    """No animated or fading menus, combo pop-ups, tooltips or tool boxes."""
    # Run after start-up (see apply_theme): naming these loads Qt's namespace, 27-48 ms
    # (bench/bench_startup.py), which the first window does not wait for.
    from PySide6.QtCore import Qt  # noqa: PLC0415 - start-up, see above

    for effect in (Qt.UIEffect.UI_AnimateMenu, Qt.UIEffect.UI_FadeMenu, Qt.UIEffect.UI_AnimateCombo,
                   Qt.UIEffect.UI_AnimateTooltip, Qt.UIEffect.UI_FadeTooltip, Qt.UIEffect.UI_AnimateToolBox,
                   Qt.UIEffect.UI_General):
        app.setEffectEnabled(effect, False)


