"""The sheet of keyboard shortcuts (Ctrl+/): made from the window's `QAction`s when it
opens, so it lists exactly what the keys do (it cannot go stale)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

#: Keys handled by widgets rather than actions (so no `QAction` names them).
WIDGET_KEYS = (
    ("Send the message", "Enter (or Ctrl+Enter, as set in Settings)"),
    ("New line in the message", "Shift+Enter"),
    ("Rename the conversation", "F2 (in the list)"),
    ("Delete the conversation", "Del (in the list)"),
    ("Move to the next control", "Tab / Shift+Tab"),
)


def rows_for(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(what, keys) for every action with a shortcut, without duplicates, sorted by name."""
    seen: dict[str, str] = {}
    for action in actions:
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        name = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        name = name.rstrip(".…")
        text = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        seen.setdefault(name, text)
    return sorted(seen.items())


class ShortcutsSheet(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsSheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def fill(self, actions: Iterable[QAction]) -> None:
        rows = rows_for(actions) + list(WIDGET_KEYS)
        self.table.setRowCount(len(rows))
        for row, (name, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self._fit()

    def _fit(self) -> None:
        """Big enough to show every row and both columns whole (within the parent)."""
        table = self.table
        frame = 2 * table.frameWidth()
        width = table.horizontalHeader().length() + table.verticalScrollBar().sizeHint().width()
        height = table.verticalHeader().length() + table.horizontalHeader().height()
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else None
        extra_w = margins.left() + margins.right() if margins is not None else 0
        extra_h = (margins.top() + margins.bottom()) if margins is not None else 0
        buttons = self.findChild(QDialogButtonBox)
        if buttons is not None:
            extra_h += buttons.sizeHint().height() + (layout.spacing() if layout else 0)
        wanted_w, wanted_h = width + frame + extra_w, height + frame + extra_h
        parent = self.parentWidget()
        if parent is not None:
            wanted_w = min(wanted_w, parent.width())
            wanted_h = min(wanted_h, parent.height())
        self.resize(wanted_w, wanted_h)
