"""`JumpButton`: the chat view's "↓ Latest" button, floating in its bottom-right corner
while the view does not follow the end of the conversation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QToolButton


class JumpButton(QToolButton):
    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view)
        self._view = view
        self.setObjectName("jumpToLatest")
        self.setText("↓ Latest")
        self.setToolTip("Jump to the latest message")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hide()

    def place(self) -> None:
        """Put it in the view's bottom-right corner, left of its scroll bar (after a resize)."""
        view = self._view
        hint = self.sizeHint()
        bar = view.verticalScrollBar()
        right = bar.width() if bar.isVisible() else 0
        self.setGeometry(
            view.width() - hint.width() - right - 16,
            view.height() - hint.height() - 12,
            hint.width(),
            hint.height(),
        )
        self.raise_()
