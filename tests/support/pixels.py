"""Counting what a widget draws: the pixels near a colour inside a rectangle of it."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget


def pixels_like(widget: QWidget, area: QRect, color: str, tolerance: int) -> int:
    """How many pixels of `area` (in `widget`'s coordinates) `widget` draws within
    `tolerance` of `color` in each of red, green and blue (on any device pixel ratio)."""
    image = widget.grab().toImage()
    scale = image.width() / widget.width()
    ink = QColor(color)
    count = 0
    for x in range(area.left(), area.right() + 1):
        for y in range(area.top(), area.bottom() + 1):
            pixel = image.pixelColor(int(x * scale), int(y * scale))
            apart = (
                pixel.red() - ink.red(),
                pixel.green() - ink.green(),
                pixel.blue() - ink.blue(),
            )
            count += max(map(abs, apart)) < tolerance
    return count
