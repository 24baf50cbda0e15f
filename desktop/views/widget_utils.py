"""Two things every view does with its widgets: restyle one, and take some away."""

from __future__ import annotations

from collections.abc import Iterable

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
