"""`ThinkingBlock`: a reply's reasoning (PROTOCOL.md section 8), above its answer.

While the model reasons, the block is open: a header "Thinking… 3 s" (a live elapsed time)
over the reasoning, streamed as Markdown by a second `MarkdownBody` (so, like the answer,
only its open tail is re-rendered per update), muted and smaller. When the answer starts
it folds to one line, "Thought for N s", that opens again on a click or Space/Enter (the
header is a focusable button). A reply that only reasoned keeps its reasoning open.

N is measured while the reply streams here. For a stored reply it comes from the reply's
stats: its generation time (`duration_ms - first_token_ms`) in the share of the reply's
code points that are reasoning (a model emits reasoning and answer at one rate); without
stats the header says just "Thought".
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget

from desktop.records import Message
from desktop.views.markdown_body import MarkdownBody
from desktop.views.widget_utils import rescale_after_zoom, scale_font

REASONING_SCALE = 0.9
TICK_MS = 1000
OPEN, CLOSED = "▾", "▸"


def thought_seconds(message: Message) -> int | None:
    """How long a stored reply reasoned, estimated from its stats (None: not known)."""
    stats = message.stats
    if stats is None or stats.duration_ms is None or not message.reasoning:
        return None
    generating = stats.duration_ms - (stats.first_token_ms or 0)
    share = len(message.reasoning) / (len(message.reasoning) + len(message.content))
    return max(1, round(generating * share / 1000))


class ThinkingBlock(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thinking")
        self.header = QToolButton(self)
        self.header.setObjectName("thinkingHeader")
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.header.setCursor(Qt.CursorShape.PointingHandCursor)
        self.header.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.header.setAutoRaise(True)
        self.header.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.header.clicked.connect(self.toggle)
        self.body = MarkdownBody(self)
        self.body.setObjectName("reasoningBody")
        scale_font(self.body, self, REASONING_SCALE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._show_header)
        self._started: float | None = None  # monotonic time the reasoning began here
        self._seconds: int | None = None  # how long it took, once known
        self._user_choice: bool | None = None  # opened/closed by the user
        self._thinking = False
        self.hide()

    @property
    def expanded(self) -> bool:
        return not self.body.isHidden()

    @property
    def title(self) -> str:
        return self.header.text()[2:]

    def set_message(self, message: Message) -> None:
        """Show `message`'s reasoning (nothing when it has none)."""
        if not message.reasoning:
            self._timer.stop()
            self.hide()
            return
        self.show()
        live = message.is_streaming and not message.content
        if live and self._started is None:
            self._started = time.monotonic()
            self._timer.start()
        if not live and self._thinking:  # the answer started (or the reply ended)
            if self._started is not None:
                self._seconds = max(1, round(time.monotonic() - self._started))
            self._timer.stop()
        if not live and self._seconds is None:
            self._seconds = thought_seconds(message)
        self._thinking = live
        self.body.set_text(message.reasoning, final=not message.is_streaming)
        if not message.is_streaming:
            self.body.finish()
        default_open = live or not message.content
        self._set_open(default_open if self._user_choice is None else self._user_choice)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoom
            rescale_after_zoom(self.body, self, REASONING_SCALE)

    def toggle(self) -> None:
        self._user_choice = not self.expanded
        self._set_open(self._user_choice)

    def _set_open(self, is_open: bool) -> None:
        self.body.setVisible(is_open)
        self._show_header()

    def _show_header(self) -> None:
        if self._thinking:
            elapsed = round(time.monotonic() - (self._started or time.monotonic()))
            title = f"Thinking… {elapsed} s"
        elif self._seconds is not None:
            title = f"Thought for {self._seconds} s"
        else:
            title = "Thought"
        self.header.setText(f"{OPEN if self.expanded else CLOSED} {title}")
        verb = "Hide" if self.expanded else "Show"
        self.header.setAccessibleName(f"{title}. {verb} the reasoning")
        self.header.setToolTip(f"{verb} the reasoning")

    def reveal(self) -> None:
        if self.expanded:
            self.body.reveal()

    def stop(self) -> None:
        self._timer.stop()
