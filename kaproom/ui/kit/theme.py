"""The room's look: a dark, low-glare palette that stays legible at arm's length, and nothing that
moves or makes a sound.

The room is dimmed for hours; a white screen would glare and a blinking cursor or an animated
menu would draw the eye away from the client. Every text colour is checked against its
background with the WCAG 2 contrast ratio (AA: 4.5 for text), see ``TEXT_PAIRS``.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
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

@dataclass(frozen=True)
class Palette:
    """Every colour of the look, so that the night setting is the same sheet in other colours."""

    background: str = BACKGROUND
    surface: str = SURFACE
    surface_raised: str = SURFACE_RAISED
    input: str = INPUT
    border: str = BORDER
    text: str = TEXT
    text_muted: str = TEXT_MUTED
    text_strong: str = TEXT_STRONG
    accent: str = ACCENT
    ok: str = OK
    soon: str = SOON
    overdue: str = OVERDUE
    error: str = ERROR
    error_background: str = ERROR_BACKGROUND
    selection: str = SELECTION
    demo_background: str = DEMO_BACKGROUND
    demo_text: str = DEMO_TEXT
    cover: str = COVER
    cover_text: str = COVER_TEXT


#: The everyday look.
DAY = Palette()
#: For a dark-adapted room: dimmer (text about two thirds of the day's luminance) and warmer
#: (amber-leaning greys, less blue), with the same contrast checks as the day's.
NIGHT = Palette(
    background="#100d0a", surface="#17130f", surface_raised="#201a15", input="#130f0c", border="#3a3128",
    text="#bba98f", text_muted="#968670", text_strong="#cbb89b", accent="#c8914c", ok="#8fae86", soon="#c9a04f",
    overdue="#dc8670", error="#e08f7a", error_background="#2e1a15", selection="#3a2e24",
    demo_background="#33284a", demo_text="#cfc2e6", cover="#0a0807", cover_text="#857766")
#: For low vision or a bright room: white and strong colours on black, every text at 7:1 or more
#: (WCAG AAA) and every outline white.
HIGH_CONTRAST = Palette(
    background="#000000", surface="#000000", surface_raised="#1a1a1a", input="#000000", border="#ffffff",
    text="#ffffff", text_muted="#d9d9d9", text_strong="#ffffff", accent="#ffd84d", ok="#7dff9a", soon="#ffd84d",
    overdue="#ff9e8a", error="#ffb3a6", error_background="#2a0000", selection="#1f4a8a",
    demo_background="#2a1a5a", demo_text="#ffffff", cover="#000000", cover_text="#bdbdbd")


def ui_pairs(p: Palette) -> tuple[tuple[str, str, str], ...]:
    """Non-text parts a person must see (check boxes, focus frames): WCAG asks 3:1 against their background."""
    return (
        ("check box and radio outline", p.text_muted, p.background),
        ("ticked check box", p.accent, p.background),
        ("focus frame", p.accent, p.input),
    )


def text_pairs(p: Palette) -> tuple[tuple[str, str, str], ...]:
    """(what, foreground, background) for every text colour the screens use."""
    return (
        ("body text", p.text, p.background),
        ("body text on panels", p.text, p.surface),
        ("body text on buttons", p.text, p.surface_raised),
        ("typed text", p.text_strong, p.input),
        ("session clock", p.text_strong, p.background),
        ("muted text", p.text_muted, p.background),
        ("muted text on panels", p.text_muted, p.surface),
        ("current phase", p.accent, p.surface),
        ("current phase label", p.accent, p.background),
        ("vitals ok", p.ok, p.background),
        ("vitals soon", p.soon, p.background),
        ("vitals overdue", p.overdue, p.background),
        ("error message", p.error, p.error_background),
        ("error text", p.error, p.background),
        ("selected log entry", p.text_strong, p.selection),
        ("demo marker", p.demo_text, p.demo_background),
        ("privacy cover hint", p.cover_text, p.cover),
    )


#: The day's pairs (the review's style adds its own to these).
UI_PAIRS = ui_pairs(DAY)
TEXT_PAIRS = text_pairs(DAY)

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

    def larger_text(self, factor: float) -> Sizes:
        """The text-size setting (``TEXT_SIZES``): the text grows, the clock and the headline,
        already large, stay as they are, so the room's layout keeps its place."""
        return Sizes(body=round(self.body * factor, 1), note=round(self.note * factor, 1),
                     log=round(self.log * factor, 1), clock=self.clock, phase=self.phase,
                     small=round(self.small * factor, 1))


#: The text-size setting, for therapists who sit further from the screen: its names, in the order
#: one key goes through them, and how much larger than the screen's own size each is.
TEXT_SIZES = {"normal": 1.0, "large": 1.2, "larger": 1.4}


def stylesheet(sizes: Sizes = Sizes(), palette: Palette = DAY) -> str:
    """One style sheet for all KAP Room windows (object names select the special pieces)."""
    return _look(palette) + font_sizes(sizes)


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


def _look(p: Palette) -> str:
    """Colours, borders and spacing (no font sizes: :func:`font_sizes`)."""
    return f"""
    QWidget {{ background: {p.background}; color: {p.text}; }}
    QLabel, QCheckBox, QRadioButton {{ background: transparent; }}
    QWidget#roomPanelsInner, QScrollArea#roomPanelsScroll {{ background: {p.surface}; border: none; }}
    QToolTip {{ background: {p.surface_raised}; color: {p.text}; border: 1px solid {p.border}; }}
    QDialog {{ background: {p.surface}; border: 1px solid {p.border}; }}
    QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
    QLineEdit, QPlainTextEdit, QComboBox, QSpinBox {{
        background: {p.input}; color: {p.text_strong}; border: 1px solid {p.border}; border-radius: 4px;
        padding: 6px; selection-background-color: {p.selection}; selection-color: {p.text_strong}; }}
    QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus {{ border: 1px solid {p.accent}; }}
    QLineEdit:disabled, QPlainTextEdit:disabled {{ color: {p.text_muted}; }}
    QComboBox QAbstractItemView {{ background: {p.surface}; color: {p.text};
        selection-background-color: {p.selection}; }}
    QPushButton {{ background: {p.surface_raised}; color: {p.text}; border: 1px solid {p.border}; border-radius: 4px;
        padding: 6px 12px; }}
    QPushButton:focus {{ border: 1px solid {p.accent}; }}
    QPushButton:disabled {{ color: {p.text_muted}; background: {p.surface}; }}
    QCheckBox, QRadioButton {{ spacing: 8px; }}
    QCheckBox::indicator, QRadioButton::indicator {{ width: 18px; height: 18px; background: {p.input};
        border: 2px solid {p.text_muted}; }}
    QRadioButton::indicator {{ border-radius: 11px; }}
    QCheckBox::indicator {{ border-radius: 3px; }}
    QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: {p.accent};
        border-color: {p.accent}; }}
    QCheckBox::indicator:focus, QRadioButton::indicator:focus {{ border-color: {p.text_strong}; }}
    QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: {p.border}; }}
    QScrollArea, QScrollArea > QWidget > QWidget {{ border: none; }}
    QScrollBar:vertical {{ background: {p.surface}; width: 14px; }}
    QScrollBar::handle:vertical {{ background: {p.border}; min-height: 30px; border-radius: 4px; }}
    QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
    QMenu {{ background: {p.surface}; color: {p.text}; border: 1px solid {p.border}; }}
    QMenu::item:selected {{ background: {p.selection}; color: {p.text_strong}; }}
    QFrame#musicStrip, QFrame#musicStripArea, QFrame#roomPrompt, QFrame#roomPanels {{
        background: {p.surface}; border: 1px solid {p.border}; border-radius: 4px; }}
    QLabel#sessionClock {{ color: {p.text_strong}; font-weight: 600; }}
    QLabel#phaseLabel {{ color: {p.accent}; }}
    QLabel#vitalsDue[level="ok"] {{ color: {p.ok}; }}
    QLabel#sinceDose {{ color: {p.text_muted}; }}
    QLabel#vitalsDue[level="soon"] {{ color: {p.soon}; font-weight: 600; }}
    QLabel#vitalsDue[level="overdue"] {{ color: {p.overdue}; font-weight: 600; }}
    QLabel#demoMarker {{ background: {p.demo_background}; color: {p.demo_text}; font-weight: 700;
        padding: 4px 14px; border-radius: 4px; }}
    QLabel[phaseState="done"] {{ color: {p.text_muted}; }}
    QLabel[phaseState="current"] {{ color: {p.accent}; background: {p.surface}; font-weight: 700;
        border: 2px solid {p.accent}; border-radius: 4px; }}
    QLabel[phaseState="next"] {{ color: {p.text}; }}
    QListWidget#logView {{ background: {p.surface}; color: {p.text}; border: 1px solid {p.border};
        selection-background-color: {p.selection}; selection-color: {p.text_strong}; }}
    QListWidget#logView::item {{ padding: 3px 6px; }}
    QLineEdit#noteInput {{ padding: 10px; }}
    QLabel#saveError {{ background: {p.error_background}; color: {p.error}; padding: 8px; border-radius: 4px; }}
    QLabel[level="error"], QLabel[level="urgent"] {{ color: {p.error}; }}
    QLabel[level="caution"], QLabel[level="soon"] {{ color: {p.soon}; }}
    QLabel[level="ok"] {{ color: {p.ok}; }}
    QLabel[muted="true"] {{ color: {p.text_muted}; }}
    QLabel#homeTitle {{ font-size: 28pt; }}
    QWidget#privacyCover {{ background: {p.cover}; }}
    QLabel#privacyHint {{ background: {p.cover}; color: {p.cover_text}; }}
    QFrame#musicStripArea QFrame#musicStrip {{ border: none; background: transparent; }}
    QLineEdit[level="error"] {{ border: 2px solid {p.error}; }}
    QLabel#vitalsTitle, QLabel#dischargeTitle {{ font-weight: 600; }}
    QWidget#vitalsPanel QLineEdit, QWidget#vitalsPanel QComboBox {{ padding: 4px; }}
    QWidget#vitalsPanel QPushButton {{ padding: 4px 12px; }}
    QFrame#doseConfirm {{ background: {p.surface_raised}; border: 1px solid {p.border};
        border-left: 6px solid {p.accent}; border-radius: 4px; padding: 4px; }}
    QFrame#alertBanner {{ background: {p.surface}; border: 1px solid {p.border}; border-left: 6px solid {p.soon};
        border-radius: 4px; }}
    QFrame#alertBanner[level="urgent"] {{ background: {p.error_background}; border-left: 6px solid {p.overdue}; }}
    QLabel#alertText {{ color: {p.text_strong}; }}
    QLabel#roomBannersQuiet {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 4px;
        padding-left: 15px; }}
    QLabel#alertLevel {{ color: {p.soon}; font-weight: 700; }}
    QLabel#alertLevel[level="urgent"] {{ color: {p.overdue}; }}
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


def apply_theme(app: QApplication, palette: Palette = DAY) -> None:
    """Dark palette, no animated menus or tooltips, a caret that does not blink."""
    if not app.property("kaproomStyled"):  # an app not made by new_application (tests, tools)
        app.setStyle(STYLE)
    # Menus, combo pop-ups and tooltips are never in the first picture; naming their effects loads
    # every enum of Qt's namespace (~20 ms), so that waits until the window is up.
    after_start_up(lambda: calm_effects(app))
    app.setCursorFlashTime(0)  # a steady caret: nothing on screen blinks
    set_palette(app, palette)
    app.setProperty("kaproomThemed", True)  # windows with pieces of their own add only those


def set_palette(app: QApplication, p: Palette) -> None:
    """The day's or the night's colours for every window of the app (the night key switches them)."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: p.background, QPalette.ColorRole.WindowText: p.text,
        QPalette.ColorRole.Base: p.input, QPalette.ColorRole.AlternateBase: p.surface,
        QPalette.ColorRole.Text: p.text_strong, QPalette.ColorRole.Button: p.surface_raised,
        QPalette.ColorRole.ButtonText: p.text, QPalette.ColorRole.Highlight: p.selection,
        QPalette.ColorRole.HighlightedText: p.text_strong, QPalette.ColorRole.ToolTipBase: p.surface_raised,
        QPalette.ColorRole.ToolTipText: p.text, QPalette.ColorRole.PlaceholderText: p.text_muted,
        QPalette.ColorRole.Link: p.accent,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(p.text_muted))
    # First: windows with colours of their own (the review) read the setting when the palette changes.
    app.setProperty("kaproomNight", p == NIGHT)
    app.setProperty("kaproomHighContrast", p == HIGH_CONTRAST)
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(palette=p))


def current_palette(app: QCoreApplication | None = None) -> Palette:
    """The colours the app shows now: high contrast's, the night's or the day's."""
    app = app if app is not None else QApplication.instance()
    if app is None:
        return DAY
    if app.property("kaproomHighContrast"):
        return HIGH_CONTRAST
    return NIGHT if app.property("kaproomNight") else DAY


def calm_effects(app: QApplication) -> None:
    """No animated or fading menus, combo pop-ups, tooltips or tool boxes."""
    # Run after start-up (see apply_theme): naming these loads Qt's namespace, 27-48 ms
    # (bench/bench_startup.py), which the first window does not wait for.
    from PySide6.QtCore import Qt  # noqa: PLC0415 - start-up, see above

    for effect in (Qt.UIEffect.UI_AnimateMenu, Qt.UIEffect.UI_FadeMenu, Qt.UIEffect.UI_AnimateCombo,
                   Qt.UIEffect.UI_AnimateTooltip, Qt.UIEffect.UI_FadeTooltip, Qt.UIEffect.UI_AnimateToolBox,
                   Qt.UIEffect.UI_General):
        app.setEffectEnabled(effect, False)


