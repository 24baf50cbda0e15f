"""What views do with their widgets: restyle one, take some away, keep one's text smaller."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget


def repolish(widget: QWidget) -> None:
    """Apply the stylesheet to `widget` again (after a property or name it selects on
    changed: Qt does not notice that by itself)."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def restyle(widget: QWidget, **properties: object) -> None:
    """Set the dynamic properties the stylesheet selects on (`severity`, `scrollable`...)
    and apply the style again if any of them changed (a repolish is not free, and some
    callers set the same value on every update)."""
    changed = False
    for name, value in properties.items():
        if widget.property(name) != value:
            widget.setProperty(name, value)
            changed = True
    if changed:
        repolish(widget)


def discard(widgets: Iterable[QWidget]) -> None:
    """Take widgets out of the window at once (hidden, unparented: no layout or paint
    counts them any more) and delete them from the event loop."""
    for widget in widgets:
        widget.hide()
        widget.setParent(None)
        widget.deleteLater()


def scale_font(widget: QWidget, reference: QWidget, scale: float) -> None:
    """`widget`'s text at `scale` of `reference`'s size (a smaller line under a message).
    An explicitly set font no longer follows its parent's: call `rescale_after_zoom` from
    `reference`'s `FontChange` too."""
    font = QFont(reference.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * scale)
    widget.setFont(font)


def rescale_after_zoom(widget: QWidget, reference: QWidget, scale: float) -> None:
    """`scale_font` again once `reference`'s font has changed (zoom: Ctrl+= / Ctrl+-), after
    the zoom has re-applied the stylesheet, which puts back the font a styled widget had
    when it was first polished."""
    QTimer.singleShot(0, widget, lambda: scale_font(widget, reference, scale))
