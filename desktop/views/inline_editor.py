"""`InlineEditor`: a user message turned into an editor, in its place.

Enter resends the new text (`submitted`), Shift+Enter is a new line, Esc gives up
(`cancelled`); the original message stays on the backend as an alternative.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 12


class InlineEditor(QPlainTextEdit):
    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inlineEditor")
        self.setAccessibleName("Edit message")
        self.setToolTip("Enter sends the edited message, Esc cancels")
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._fit)

    def start(self, text: str) -> None:
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.End)
        self._fit()
        self.show()
        self.setFocus()

    def _fit(self) -> None:
        lines = min(MAX_LINES, max(1, self.document().blockCount()))
        margins = self.contentsMargins()
        height = lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()
        self.setFixedHeight(height + 2 * int(self.document().documentMargin()) + 4)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            if self.toPlainText().strip():
                self.submitted.emit(self.toPlainText())
            event.accept()
        elif event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            event.accept()
        else:
            super().keyPressEvent(event)
