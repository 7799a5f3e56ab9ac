"""Where the room screen's parts sit, and how wide the column beside the log may grow
(``RoomWindow`` builds the widgets).

Top: the clock, the phase and the next vitals check (the only part the privacy cover leaves).
Below: the phase strip, the log with the banners' reserved place above it ("No alerts", quietly,
when no banner shows: an empty strip looked like something missing) (or the key list in
its place) and the side panels beside it, the in-window question, the note field, quick tag
buttons, the music strip, the status line (one line) and the command buttons. Nothing that
comes, goes or grows longer moves another part: messages keep one line, banners their place.
"""
from __future__ import annotations

from PySide6.QtCore import QChildEvent, QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from kaproom.ui.kit.labels import make_label

PRIVACY_KEY = "F12"
#: Qt's own ceiling for a line edit; a paste beyond it is cut, so the therapist is told.
NOTE_MAX_CHARS = 32767
SIDE_MIN_WIDTH, SIDE_MAX_WIDTH = 320, 460  # the widest on a laptop; larger screens: side_max_width
#: Around a panel's own content: the column's margins, a scroll bar, the panels' frames.
SIDE_CHROME = 8 + 8 + 6 + 14 + 4


class SidePanels(QFrame):
    """The column of panels beside the log. Its panels scroll inside it, and a scroll area asks
    for no width of its own, so the column asks for what its widest panel's content needs (the
    room's fonts grow with the screen): otherwise titles and right-hand fields would be cut off."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        widest = max((inner.minimumSizeHint().width() for area in self.findChildren(QScrollArea)
                      if (inner := area.widget()) is not None), default=0)
        hint.setWidth(max(hint.width(), SIDE_MIN_WIDTH, min(self.maximumWidth(), widest + SIDE_CHROME)))
        return hint

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.minimumSizeHint()


def side_max_width(scale: float) -> int:
    """The side column's widest: 460 px up to a 1000-pixel-high screen, then growing as the room's
    fonts do, so a 1440- or 2160-pixel screen does not cut the vitals panel's title and fields."""
    return round(SIDE_MAX_WIDTH * max(1.0, scale))


class BannerPlace(QScrollArea):
    """The banners' own place above the log, kept whether or not one shows, so a banner that comes
    or goes never moves the log (several at once scroll inside it). Collapsing it when empty would
    move the log, and the line the therapist is reading, by two lines whenever an alert came or
    went; so with no banner it says, in the muted words the room uses for what is calm, "No alerts"."""

    QUIET = "No alerts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("roomBanners")
        self.setAccessibleName("Alerts and notices")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        inner.setObjectName("roomBannersInner")
        self.area = QVBoxLayout(inner)
        self.area.setContentsMargins(0, 0, 0, 0)
        self.area.setSpacing(4)
        self.area.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.quiet = make_label("roomBannersQuiet", self.QUIET, "No alerts or notices")
        self.quiet.setProperty("muted", "true")
        self.quiet.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.area.addWidget(self.quiet, 1)
        self.setWidget(inner)
        inner.installEventFilter(self)  # a banner taken away (ChildRemoved)
        self._banners: list[QWidget] = []

    def add(self, widget: QWidget) -> None:
        """A banner (it may show and hide itself later: the quiet words follow it)."""
        self._banners.append(widget)
        widget.installEventFilter(self)
        self.area.addWidget(widget)
        self.ensureWidgetVisible(widget)
        self._follow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.ChildRemoved and isinstance(event, QChildEvent):
            gone = event.child()
            self._banners = [banner for banner in self._banners if banner is not gone]
            self._follow()
        elif kind in (QEvent.Type.Show, QEvent.Type.Hide) and watched is not self.widget():
            self._follow()
        return False

    def _follow(self) -> None:
        """The quiet words show while no banner does (a banner hidden by its own choice counts as none)."""
        showing = any(not (
            banner.isHidden() and banner.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide))
            for banner in self._banners)
        self.quiet.setVisible(not showing)
