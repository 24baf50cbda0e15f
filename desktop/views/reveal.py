"""`reveal_message`: scroll the chat view to one message and highlight it for a moment
(a search hit opened from the sidebar); `keep_in_sight`: scroll to a message and give it
the keyboard (a branch just switched). Kept apart from `ChatView`, which they only drive
through its public paging API."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from shiboken6 import isValid

from desktop.theme import SIDEBAR
from desktop.views.chat_view import ChatView
from desktop.views.message_widget import MessageWidget
from desktop.views.widget_utils import restyle


def widget_of(view: ChatView, mid: str) -> MessageWidget | None:
    return next((w for w in view.widgets if w.message.id == mid), None)


def _scroll_to(view: ChatView, mid: str) -> MessageWidget | None:
    """Page older messages in until `mid` has a widget and scroll it to a quarter of the
    view's height; None if the shown conversation lacks it."""
    model = view.model
    row = model.row_of(mid) if model is not None else -1
    if row < 0:
        return None
    while row < view.first_row and view.load_older():
        pass
    widget = widget_of(view, mid)
    if widget is None:
        return None
    view.follow = False
    view._settle()  # noqa: SLF001 - positions must be current before scrolling
    bar = view.verticalScrollBar()
    bar.setValue(max(0, widget.y() - view.viewport().height() // 4))
    return widget


def keep_in_sight(view: ChatView, mid: str) -> None:
    """The message `mid` was just shown in place of another: it stays in view and has the
    keyboard (its actions row shows), rather than the view jumping to the end and the
    focus falling to whatever comes next in the window."""
    widget = _scroll_to(view, mid)
    if widget is not None:
        widget.setFocus(Qt.FocusReason.OtherFocusReason)


def reveal_message(view: ChatView, mid: str) -> bool:
    """Scroll to `mid` and mark it `revealed` for `SIDEBAR.highlight_ms`. False if the
    shown conversation lacks it."""
    widget = _scroll_to(view, mid)
    if widget is None:
        return False
    restyle(widget, revealed=True)

    def fade() -> None:
        if isValid(widget):
            restyle(widget, revealed=False)

    QTimer.singleShot(SIDEBAR.highlight_ms, fade)
    return True
