"""Small glyph icons drawn from the palette (no image files): the composer's Send and Stop."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

#: The icon's drawing size in device-independent pixels (the button's size is the
#: stylesheet's; Qt scales the icon to `iconSize`).
CANVAS = 64


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(CANVAS, CANVAS)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


def send_icon(color: QColor) -> QIcon:
    """An upward arrow."""
    pixmap, painter = _canvas()
    pen = QPen(color, CANVAS / 9)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    mid = CANVAS / 2
    top, bottom, wing = CANVAS * 0.22, CANVAS * 0.78, CANVAS * 0.26
    painter.drawLine(QPointF(mid, bottom), QPointF(mid, top))
    path = QPainterPath(QPointF(mid - wing, top + wing))
    path.lineTo(QPointF(mid, top))
    path.lineTo(QPointF(mid + wing, top + wing))
    painter.drawPath(path)
    painter.end()
    return QIcon(pixmap)


def stop_icon(color: QColor) -> QIcon:
    """A filled rounded square."""
    pixmap, painter = _canvas()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    side = CANVAS * 0.42
    corner = CANVAS / 16
    painter.drawRoundedRect(
        QRectF((CANVAS - side) / 2, (CANVAS - side) / 2, side, side), corner, corner
    )
    painter.end()
    return QIcon(pixmap)
