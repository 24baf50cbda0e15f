"""`PlainBody`: a user's message, plain text (never interpreted), of any length.

A long message (a pasted log, a 200 KB document) is shown *collapsed*, like in other chat
apps: its first `HEAD_LINES` lines (at most `HEAD_CHARS` characters) and a "Show all"
button; the whole text is laid out only when the user asks for it. The message itself
(Copy, Edit) is always the whole text.

What is shown is cut at line ends into pieces of about `PIECE_CHARS` characters, each a
`PlainSegment` whose height is computed once per width. The pieces are laid out from the
event loop (once the body has its width), a few milliseconds' worth per pass, so even an
expanded 200 KB message never freezes the window, and a change elsewhere in the
conversation never lays it out again.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from desktop.views.segments import DOCUMENT_MARGIN, PlainSegment
from desktop.views.widget_utils import discard

#: A piece ends at the first line end after this many characters (or here, with none).
PIECE_CHARS = 4000
#: Time spent laying out pieces per event-loop pass (at least one piece).
PASS_SECONDS = 0.004
#: A collapsed message shows this many lines, at most `HEAD_CHARS` characters of them.
HEAD_LINES = 20
HEAD_CHARS = 1500
#: Messages up to twice the head's size are shown whole (a fold would hide too little).
FOLD_FACTOR = 2
#: Up to this many characters a message's bubble is as wide as its longest line (plus a
#: little slack against rounding), not as wide as it may be.
NATURAL_CHARS = 2000
NATURAL_SLACK = 4


def pieces_of(text: str, size: int = PIECE_CHARS) -> list[str]:
    """`text` cut after a line end at least `size` characters in (or at `2 * size`)."""
    out: list[str] = []
    start = 0
    while len(text) - start > 2 * size:
        nl = text.find("\n", start + size, start + 2 * size)
        stop = nl + 1 if nl >= 0 else start + 2 * size
        out.append(text[start:stop])
        start = stop
    if start < len(text) or not out:
        out.append(text[start:])
    return out


def head_of(text: str, lines: int = HEAD_LINES, chars: int = HEAD_CHARS) -> str | None:
    """What a collapsed message shows: its first `lines` lines, at most `chars` characters
    (cut at a space if there is one near the end); None if `text` is short enough to be
    shown whole."""
    if len(text) <= FOLD_FACTOR * chars and text.count("\n") < FOLD_FACTOR * lines:
        return None
    cut = -1
    found = 0
    while found < lines:
        nl = text.find("\n", cut + 1, chars + 1)
        if nl < 0:
            break
        cut, found = nl, found + 1
    if found < lines and cut < chars // 2:  # a long line: cut it, at a space if possible
        space = text.rfind(" ", chars // 2, chars)
        cut = space if space >= 0 else chars
    return text[:cut].rstrip()


def fold_label(text: str) -> str:
    lines = text.count("\n") + 1
    return f"Show all ({lines:,} lines, {len(text):,} characters)"


class PlainBody(QWidget):
    #: The user unfolded (True) or folded (False) the message.
    toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBody")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._source = ""
        self._head: str | None = None  # what a collapsed message shows; None: not folded
        self._expanded = False
        self._todo: list[str] = []
        self.segments: list[PlainSegment] = []
        self.fold_button = QPushButton(self)
        self.fold_button.setObjectName("foldButton")
        self.fold_button.setFlat(True)
        self.fold_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.fold_button.clicked.connect(self.toggle)
        self.fold_button.hide()
        self._layout.addWidget(self.fold_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._more = QTimer(self)
        self._more.setSingleShot(True)
        self._more.setInterval(0)
        self._more.timeout.connect(self._add_some)

    # -- the QLabel-like surface ------------------------------------------------------------
    def text(self) -> str:
        """The whole message (whether or not it is collapsed)."""
        return self._source

    def textFormat(self) -> Qt.TextFormat:  # noqa: N802 (like QLabel's)
        return Qt.TextFormat.PlainText

    @property
    def pending(self) -> int:
        """Pieces not laid out yet."""
        return len(self._todo)

    @property
    def collapsed(self) -> bool:
        """Only the head of a long message is shown."""
        return self._head is not None and not self._expanded

    def shown_text(self) -> str:
        """The text laid out (or being laid out): the whole message, or its head."""
        return self._head if self._head is not None and not self._expanded else self._source

    def natural_width(self) -> int | None:
        """The width that shows the message without wrapping a line, or None for a long or
        folded one (it takes the room it is given)."""
        if self._head is not None or len(self._source) > NATURAL_CHARS:
            return None
        metrics = self.fontMetrics()
        lines = self._source.split("\n")
        widest = max((metrics.horizontalAdvance(line) for line in lines), default=0)
        return widest + 2 * DOCUMENT_MARGIN + NATURAL_SLACK

    def setText(self, text: str) -> None:  # noqa: N802 (like QLabel's)
        if text == self._source:
            return
        self._source = text
        self._head = head_of(text)
        self._expanded = False
        self._show()

    def set_expanded(self, expanded: bool) -> None:
        if self._head is not None and expanded != self._expanded:
            self._expanded = expanded
            self._show()

    def toggle(self) -> None:
        """The fold button: show all of the message, or its head again."""
        self.set_expanded(not self._expanded)
        self.toggled.emit(self._expanded)

    def _show(self) -> None:
        discard(self.segments)
        self.segments = []
        shown = self.shown_text()
        self._todo = pieces_of(shown) if shown else []
        self._todo.reverse()  # popped from the end
        if self._head is None:
            self.fold_button.hide()
        else:
            self.fold_button.setText("Show less" if self._expanded else fold_label(self._source))
            self.fold_button.show()
        # laid out from the event loop: by then the body has its width in the column
        self._more.start()

    def _add_some(self) -> None:
        started = time.perf_counter()
        while self._todo:
            piece = self._todo.pop()
            # the last line end of a piece is the break to the next one
            last = not self._todo
            segment = PlainSegment(self)
            if self.width() > 0:
                segment.resize(self.width(), 0)
            segment.setText(piece if last else piece.removesuffix("\n"))
            self._layout.insertWidget(len(self.segments), segment)  # above the button
            self.segments.append(segment)
            segment.show()
            if time.perf_counter() - started > PASS_SECONDS:
                break
        if self._todo:
            self._more.start()
