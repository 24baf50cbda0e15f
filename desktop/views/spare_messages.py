"""`SpareMessages`: one message widget of each role, made ahead while the window is quiet.

Making a `MessageWidget` and letting Qt polish its dozen children with the stylesheet takes
the GUI thread a few milliseconds. A turn needs two at once (the user's message and the
reply), just when the backend starts streaming the reply; each call of the GUI thread into
Python then waits for the GIL the server holds, so those milliseconds became a stall of
the window three times as long. The chat view takes a spare instead (`take`), and the
next spare is made `IDLE_MS` later.

A spare is hidden and outside the column's layout; it is dropped when the theme, the font
size or the density changes (it was styled for the old ones) and made again later.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from desktop.records import Message
from desktop.views.message_widget import MessageWidget
from desktop.views.widget_utils import discard

IDLE_MS = 500  # after a spare is taken, or dropped, before the next is made


def _placeholder(is_user: bool) -> Message:
    return Message("", "", "user" if is_user else "assistant", "", "streaming", "")


class SpareMessages(QObject):
    def __init__(self, column: QWidget) -> None:
        super().__init__(column)
        self._column = column
        self._spares: dict[bool, MessageWidget] = {}  # by `is_user`
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(IDLE_MS)
        self._timer.timeout.connect(self._make)

    def prepare(self) -> None:
        """Make the missing spares in a moment (not now: the caller is busy)."""
        self._timer.start()

    def take(self, message: Message) -> MessageWidget | None:
        """A spare of `message`'s role showing `message` (still hidden), if one is ready."""
        widget = self._spares.pop(message.is_user, None)
        self.prepare()
        if widget is not None:
            widget.set_message(message)
        return widget

    def drop(self) -> None:
        """Let the spares go (they were styled for another theme, size or density)."""
        discard(self._spares.values())
        self._spares.clear()
        self.prepare()

    def _make(self) -> None:
        for is_user in (True, False):
            if is_user not in self._spares:
                widget = MessageWidget(_placeholder(is_user), self._column)
                widget.hide()
                widget.ensurePolished()  # the stylesheet's work, now rather than when shown
                self._spares[is_user] = widget
