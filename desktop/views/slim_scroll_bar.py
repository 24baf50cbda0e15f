"""`SlimScrollBar`: the chat view's scroll bar, a rounded handle and nothing else.

DESIGN.md's bar has no arrows and no track: with nothing to scroll it is just the page.
It draws its handle itself, in the theme's colours (`border`, `muted` under the pointer),
where the style puts it (so dragging and clicking work as in any scroll bar). Qt's styled
bar (Fusion under the stylesheet) costs about a millisecond a paint, and a view following
a streaming reply repaints its bar each time the reply grows a line: at 100 tokens/s that
was a seventh of the window's CPU.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QEnterEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QScrollBar, QStyle, QStyleOptionSlider, QWidget

from desktop.theme import SCROLL_HANDLE_RADIUS, colors_of


class SlimScrollBar(QScrollBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)

    def handle_rect(self) -> QRect:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        control, part = QStyle.ComplexControl.CC_ScrollBar, QStyle.SubControl.SC_ScrollBarSlider
        return self.style().subControlRect(control, option, part, self)

    # The pointer's coming and going repaints the handle (an `event()` override would take
    # every event of the bar, its paints too, through Python).
    def enterEvent(self, event: QEnterEvent) -> None:
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self.update()
        super().leaveEvent(event)

    def paintEvent(self, _event: QPaintEvent) -> None:
        if self.maximum() <= self.minimum():
            return  # nothing to scroll: no handle
        handle = self.handle_rect()
        colors = colors_of()
        hot = self.underMouse() or self.isSliderDown()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colors.muted if hot else colors.border))
        painter.drawRoundedRect(handle, SCROLL_HANDLE_RADIUS, SCROLL_HANDLE_RADIUS)
