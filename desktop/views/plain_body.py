"""`PlainBody`: a user's message, plain text (never interpreted), of any length.

The text is cut at line ends into pieces of about `PIECE_CHARS` characters, each a
`PlainSegment` whose height is computed once per width. The pieces are laid out from the
event loop (once the body has its width), a few per pass, so a long message (a pasted log,
a 200 KB document) never freezes the window, and a change elsewhere in the conversation
never lays it out again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.views.segments import PlainSegment

#: A piece ends at the first line end after this many characters (or here, with none).
PIECE_CHARS = 4000
#: Pieces laid out per event-loop pass.
PIECES_PER_PASS = 1


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


class PlainBody(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBody")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._source = ""
        self._todo: list[str] = []
        self.segments: list[PlainSegment] = []
        self._more = QTimer(self)
        self._more.setSingleShot(True)
        self._more.setInterval(0)
        self._more.timeout.connect(self._add_some)

    # -- the QLabel-like surface ------------------------------------------------------------
    def text(self) -> str:
        return self._source

    def textFormat(self) -> Qt.TextFormat:  # noqa: N802 (like QLabel's)
        return Qt.TextFormat.PlainText

    @property
    def pending(self) -> int:
        """Pieces not laid out yet."""
        return len(self._todo)

    def setText(self, text: str) -> None:  # noqa: N802 (like QLabel's)
        if text == self._source:
            return
        self._source = text
        for segment in self.segments:
            segment.hide()
            segment.setParent(None)
            segment.deleteLater()
        self.segments = []
        self._todo = pieces_of(text) if text else []
        self._todo.reverse()  # popped from the end
        # laid out from the event loop: by then the body has its width in the column
        self._more.start()

    def _add_some(self) -> None:
        for _ in range(PIECES_PER_PASS):
            if not self._todo:
                return
            piece = self._todo.pop()
            # the last line end of a piece is the break to the next one
            last = not self._todo
            segment = PlainSegment(self)
            if self.width() > 0:
                segment.resize(self.width(), 0)
            segment.setText(piece if last else piece.removesuffix("\n"))
            self._layout.addWidget(segment)
            self.segments.append(segment)
            segment.show()
        if self._todo:
            self._more.start()
