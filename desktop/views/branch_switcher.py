"""`BranchSwitcher`: "‹ 2/3 ›" on a message that has alternatives (PROTOCOL.md section 7).

It shows where the message stands among its `siblings` and asks for the previous or next
one (`switch_to(mid)`); the controller makes the path through it current.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from desktop.records import Message
from desktop.safe_text import plain


class BranchSwitcher(QWidget):
    #: The user wants the alternative `mid` shown.
    switch_to = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("branchSwitcher")
        self.previous = QToolButton(self)
        self.previous.setText("‹")
        self.next = QToolButton(self)
        self.next.setText("›")
        self.position = plain(QLabel(self))
        self.position.setObjectName("branchPosition")
        for button, name in ((self.previous, "Previous"), (self.next, "Next")):
            button.setObjectName("branchButton")
            button.setAutoRaise(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip(f"{name} alternative")
            button.setAccessibleName(f"{name} alternative")
        self.previous.clicked.connect(lambda: self._step(-1))
        self.next.clicked.connect(lambda: self._step(1))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.previous)
        layout.addWidget(self.position)
        layout.addWidget(self.next)
        self._ids: tuple[str, ...] = ()
        self._at = 0
        self.hide()

    def set_message(self, message: Message) -> None:
        self._ids = message.siblings
        self._at = self._ids.index(message.id) if message.id in self._ids else 0
        many = len(self._ids) > 1
        if many:
            self.position.setText(f"{self._at + 1}/{len(self._ids)}")
            self.setAccessibleName(f"Alternative {self._at + 1} of {len(self._ids)}")
            self.previous.setEnabled(self._at > 0)
            self.next.setEnabled(self._at < len(self._ids) - 1)
        self.setVisible(many)

    def _step(self, by: int) -> None:
        at = self._at + by
        if 0 <= at < len(self._ids):
            self.switch_to.emit(self._ids[at])
