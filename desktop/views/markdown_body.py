"""`MarkdownBody`: an assistant message's text, rendered as Markdown while it streams.

The text goes through a `MarkdownSplitter`; this widget turns its segments into a column
of segment widgets (`desktop.views.segments`) and touches only what changed:

- stable Markdown blocks are gathered in *group* widgets of about `GROUP_CHARS`
  characters; a group is rendered when a block joins it, and once full it is sealed
  and never rendered again;
- a code block is one `CodeBlock` that grows by its new lines;
- the open tail (the text after the last block boundary) has a widget of its own, the
  only one re-rendered on every update.

So an update costs the new text plus the tail, whatever the reply's length. Which
widgets exist depends only on the text, not on how it was chunked.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.render.splitter import MarkdownSplitter
from desktop.views.segments import CodeBlock, MarkdownSegment

#: A group of stable blocks is sealed once it holds this many characters.
GROUP_CHARS = 3000
#: Segment widgets are kept in pages of this many, so a long reply's layout has few
#: items: a change in the tail re-lays out one page and the list of pages, not every segment.
PAGE_WIDGETS = 16
#: At most this much new text is rendered per call; the rest follows from the event loop,
#: so a backlog (a slow frame, a long history message) never freezes the window.
FEED_BUDGET = 8000
#: To tell a grown text from a new one, this much of the old text's end is compared.
CHECK_CHARS = 64


class MarkdownBody(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBody")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._source = ""
        self._fed = 0  # characters of `_source` given to the splitter
        self._final = False
        self._more = QTimer(self)
        self._more.setSingleShot(True)
        self._more.setInterval(0)
        self._more.timeout.connect(self._feed_some)
        self._tail = MarkdownSegment(self)
        self._tail.hide()
        self._layout.addWidget(self._tail)
        self._reset()

    def _reset(self) -> None:
        self._splitter = MarkdownSplitter()
        self._done = 0  # segments fully shown
        self._group: MarkdownSegment | None = None
        self._group_parts: list[str] = []
        self._group_len = 0
        self._group_dirty = False
        self._code: CodeBlock | None = None
        self.segment_widgets: list[MarkdownSegment | CodeBlock] = []
        self._pages: list[QWidget] = []
        self._page_layout: QVBoxLayout | None = None

    # -- the QLabel-like surface the rest of the window (and the tests) use --------------
    def text(self) -> str:
        """The source text rendered so far."""
        return self._source if self._fed == len(self._source) else self._source[: self._fed]

    @property
    def pending(self) -> int:
        """Characters received but not rendered yet (a backlog being worked off)."""
        return len(self._source) - self._fed

    def textFormat(self) -> Qt.TextFormat:  # noqa: N802 (like QLabel's)
        return Qt.TextFormat.MarkdownText

    def widgets(self) -> list[MarkdownSegment | CodeBlock]:
        """Every visible segment widget, top to bottom (the tail last)."""
        shown = list(self.segment_widgets)
        if self._tail.source_text:
            shown.append(self._tail)
        return shown

    # -- updates -------------------------------------------------------------------------
    def set_text(self, text: str, final: bool = False) -> None:
        """Show `text`. When it extends the text shown, only the new part is processed
        (`final` checks that in full, once)."""
        old = self._source
        if text is old:
            return
        n = len(old)
        if final:
            grown = text.startswith(old)
        else:
            grown = len(text) >= n and text[max(0, n - CHECK_CHARS) : n] == old[-CHECK_CHARS:]
        if not grown:
            self._clear()
        self._source = text
        self._final = final
        self._feed_some()

    def _feed_some(self) -> None:
        stop = min(len(self._source), self._fed + FEED_BUDGET)
        self._splitter.feed(self._source[self._fed : stop])
        self._fed = stop
        self._sync()
        if stop < len(self._source):
            self._more.start()
        elif self._final and self._code is not None:
            self._code.finish()

    def _clear(self) -> None:
        for page in self._pages:
            page.hide()
            page.setParent(None)
            page.deleteLater()
        self._tail.set_markdown("")
        self._tail.hide()
        self._fed = 0
        self._reset()

    def _sync(self) -> None:
        segments = self._splitter.segments
        while self._done < len(segments):
            seg = segments[self._done]
            if seg.kind == "markdown":
                self._add_block(seg.text)
                self._done += 1
                continue
            if self._code is None:
                self._seal()
                self._code = CodeBlock(seg.lang, self)
                self._insert(self._code)
            partial = "" if seg.closed else self._splitter.partial_code
            self._code.extend(seg.lines, partial)
            if not seg.closed:
                break
            self._code.finish()
            self._code = None
            self._done += 1
        self._render_group()
        tail = self._splitter.tail
        if tail.strip():
            self._tail.set_markdown(tail)
            self._tail.show()
        elif self._tail.source_text:
            self._tail.set_markdown("")
            self._tail.hide()

    def finish(self) -> None:
        """The message is complete: an unclosed code block is final as it stands
        (once all of the text is rendered)."""
        self._final = True
        if self._code is not None and not self.pending:
            self._code.finish()

    # -- groups of stable blocks -----------------------------------------------------------
    def _add_block(self, text: str) -> None:
        if self._group is None:
            self._group = MarkdownSegment(self)
            self._insert(self._group)
        self._group_parts.append(text)
        self._group_len += len(text)
        self._group_dirty = True
        if self._group_len >= GROUP_CHARS:
            self._seal()

    def _render_group(self) -> None:
        if self._group is not None and self._group_dirty:
            self._group.set_markdown("".join(self._group_parts))
            self._group_dirty = False

    def _seal(self) -> None:
        self._render_group()
        self._group = None
        self._group_parts = []
        self._group_len = 0

    def _insert(self, widget: MarkdownSegment | CodeBlock) -> None:
        layout = self._page_layout
        if layout is None or layout.count() >= PAGE_WIDGETS:
            page = QWidget(self)
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(self._layout.spacing())
            self._layout.insertWidget(self._layout.count() - 1, page)  # the tail stays last
            self._pages.append(page)
            self._page_layout = layout
            page.show()
        widget.setParent(layout.parentWidget())
        layout.addWidget(widget)
        self.segment_widgets.append(widget)
        widget.show()
