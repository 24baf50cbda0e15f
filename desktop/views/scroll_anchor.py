"""`ScrollAnchor`: a widget of a scrolling column kept still on screen while the column
changes around it.

`ChatView` holds one while it pages (older messages added above, far ones dropped) and
while a message the user unfolded is laid out anew: the widget and its offset from the
top of the viewport are remembered, and `restore` moves the scroll bar so that it is
there again, until the user scrolls (`release`). It only reads widget geometry and sets
the bar's value.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QScrollBar, QWidget


class ScrollAnchor:
    def __init__(self, bar: QScrollBar) -> None:
        self._bar = bar
        self._held: tuple[QWidget, int] | None = None
        #: `restore` is moving the bar (a value change that is not the user's).
        self.restoring = False

    @property
    def held(self) -> bool:
        return self._held is not None

    def hold(self, widget: QWidget) -> None:
        """Keep `widget` where it is on screen now."""
        self._held = (widget, widget.y() - self._bar.value())

    def hold_top(self, widgets: Sequence[QWidget]) -> None:
        """Keep the widget at the top of the viewport (the first of `widgets`, in column
        order, that reaches below it) where it is; none if there is no such widget."""
        value = self._bar.value()
        top = next((w for w in widgets if w.y() + w.height() > value), None)
        self._held = None if top is None else (top, top.y() - value)

    def release(self) -> None:
        self._held = None

    def release_if_in(self, widgets: Sequence[QWidget]) -> None:
        """Let go if the held widget is one of `widgets` (about to be dropped)."""
        if self._held is not None and self._held[0] in widgets:
            self._held = None

    def restore(self, widgets: Sequence[QWidget]) -> None:
        """Scroll so the held widget is at its offset again; let go if it is no longer
        one of `widgets` (the column's)."""
        if self._held is None:
            return
        widget, offset = self._held
        if widget not in widgets:
            self._held = None
            return
        self.restoring = True
        try:
            self._bar.setValue(widget.y() - offset)
        finally:
            self.restoring = False
