"""Window-wide shortcuts for the room, and the list of them the therapist can look up (Ctrl+/).

Shortcuts must work while the cursor is in the note field, which would otherwise keep some keys
for itself (on Linux a line edit uses Ctrl+D, Ctrl+E, Ctrl+K ...). ``NoteInput`` lets every
registered room shortcut through to the window.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget


class ShortcutRegistry:
    """The room's shortcuts, in the order they were added, for the help list."""

    def __init__(self, owner: QWidget) -> None:
        self.owner = owner
        self.entries: list[tuple[str, str, QAction]] = []
        self._owned: set[int] = set()  # each shortcut's key combination, for a quick look-up per key press

    def add(self, key: str, description: str, callback: Callable[[], object]) -> tuple[QAction, str]:
        """The action, and a problem in words if the key could not be given to it (the action
        still exists, without a shortcut: a clinic's protocol file must not break the room)."""
        sequence = QKeySequence(key)
        problem = ""
        if sequence.isEmpty() or sequence.toString() == "":
            problem = f"'{key}' is not a key KAP Room knows, so '{description}' has no shortcut"
        for _key, existing_description, action in self.entries:
            if not problem and action.shortcut() == sequence:
                problem = (f"{key} is already '{existing_description}', so '{description}' has no shortcut")
        action = QAction(description, self.owner)
        if not problem:
            action.setShortcut(sequence)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setAutoRepeat(False)  # a held key is one entry, not twenty
        action.triggered.connect(lambda _checked=False: callback())
        self.owner.addAction(action)
        if not problem:
            self.entries.append((sequence.toString(QKeySequence.SequenceFormat.NativeText), description, action))
            if sequence.count() == 1:
                # The stubs lack QKeySequence.__getitem__, Qt's operator[] (the n-th key combination).
                self._owned.add(sequence[0].toCombined())  # type: ignore[index]
        return action, problem

    def owns(self, event: QKeyEvent) -> bool:
        """Whether a key pressed in the note field is a room shortcut. Asked for every key typed,
        so a set look-up rather than a comparison with each action's shortcut."""
        return event.keyCombination().toCombined() in self._owned

    def rows(self) -> list[tuple[str, str]]:
        return [("Enter", "Save the note"), *((key, description) for key, description, _ in self.entries)]


class NoteInput(QLineEdit):
    """The note field: Enter saves; room shortcuts always reach the window."""

    def __init__(self, registry: ShortcutRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and self.registry.owns(event):
            event.ignore()  # not ours: let the window's shortcut have it
            return False
        return super().event(event)


class ShortcutHelp(QLabel):
    """The shortcut list shown in place of the log's side panel area (toggled by Ctrl+/)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutHelp")
        self.setAccessibleName("Keyboard shortcuts")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setWordWrap(True)
        self.setMargin(10)
        self.hide()

    def show_for(self, registry: ShortcutRegistry, columns: int = 1) -> None:
        """The keys in ``columns`` columns, read down the first column, then the next."""
        # Only when the list is first shown: the resumed room must not load html (tests/test_cli.py keeps
        # it so for bench/bench_startup.py's resume figure).
        import html  # noqa: PLC0415
        cells = [f"<td style='padding-right:14px'><b>{html.escape(key)}</b></td>"
                 f"<td style='padding-right:28px'>{html.escape(description)}</td>"
                 for key, description in registry.rows()]
        per_column = -(-len(cells) // max(1, columns))
        rows = "".join("<tr>" + "".join(cells[row + column * per_column] for column in range(columns)
                                        if row + column * per_column < len(cells)) + "</tr>"
                       for row in range(per_column))
        self.setText(f"<p>Keyboard shortcuts (Ctrl+/ or Esc closes this list)</p><table>{rows}</table>")
        self.show()
