"""`MarkdownBody`: an assistant message's text, rendered as Markdown while it streams.

The text goes through a `MarkdownSplitter`; this widget turns its segments into a column
of segment widgets (`desktop.views.segments`) and touches only what changed:

- stable Markdown blocks are gathered in *group* widgets of about `GROUP_CHARS`
  characters; a group is rendered when a block joins it, and once full it is sealed
  and never rendered again;
- a code block is one `CodeBlock` that grows by its new lines;
- the open tail (the text after the last block boundary) has a widget of its own, the
  only one re-rendered on every update;
- widgets live in pages (`desktop.views.body_page`); settled segments wait in a *lazy*
  page (an estimated height) until the page comes into view, so a fast stream renders
  what is on screen, not every block it scrolls past.

So an update costs the new text plus the tail, whatever the reply's length. Which
widgets exist depends only on the text, not on how it was chunked or when pages were
rendered (pages are turned only where a group of blocks ends anyway).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

from desktop.render.splitter import MarkdownSplitter, Segment
from desktop.views.body_page import BodyPage
from desktop.views.segments import CodeBlock, MarkdownSegment

#: A group of stable blocks is sealed once it holds this many characters.
GROUP_CHARS = 3000
#: New text is fed in pieces of this many characters, as many as fit in `PASS_SECONDS`;
#: the rest follows from the event loop, so a backlog (a slow frame, a long history
#: message) never freezes the window.
FEED_BUDGET = 1000
PASS_SECONDS = 0.006
#: While a backlog of text is worked off: how often what is on screen is rendered.
SWEEP_MS = 100
#: To tell a grown text from a new one, this much of the old text's end is compared.
CHECK_CHARS = 64

Widget = MarkdownSegment | CodeBlock


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
        self._uncoloured: list[CodeBlock] = []  # finished while streaming, not coloured
        self._sweep = QTimer(self)
        self._sweep.setInterval(SWEEP_MS)
        self._sweep.timeout.connect(self._sweep_view)
        self._soon = QTimer(self)  # a sweep once the pass just made is laid out
        self._soon.setSingleShot(True)
        self._soon.setInterval(0)
        self._soon.timeout.connect(self._sweep_view)
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
        self._lazy_group_len = 0  # the open group's length while it waits in a lazy page
        self._code: CodeBlock | None = None
        self._pages: list[BodyPage] = []
        self._page: BodyPage | None = None  # the page new segments go to
        self._target: BodyPage | None = None  # the page being rendered

    # -- the QLabel-like surface the rest of the window (and the tests) use --------------
    def text(self) -> str:
        """The source text taken in so far."""
        return self._source if self._fed == len(self._source) else self._source[: self._fed]

    @property
    def pending(self) -> int:
        """Characters received but not taken in yet (a backlog being worked off)."""
        return len(self._source) - self._fed

    def textFormat(self) -> Qt.TextFormat:  # noqa: N802 (like QLabel's)
        return Qt.TextFormat.MarkdownText

    @property
    def segment_widgets(self) -> list[Widget]:
        """The segment widgets made so far (not those of pages still lazy)."""
        return [w for page in self._pages for w in page.widgets]

    @property
    def lazy_pages(self) -> int:
        return sum(1 for page in self._pages if page.lazy)

    @property
    def unrendered_in_view(self) -> bool:
        """Some of what is on screen waits in a lazy page (as of the last layout)."""
        return bool(self._lazy_in_view())

    def _lazy_in_view(self) -> list[BodyPage]:
        return [page for page in self._pages if page.lazy and page.on_screen()]

    def widgets(self) -> list[Widget]:
        """Every segment widget, top to bottom (the tail last), rendering any lazy page."""
        if self.lazy_pages:
            with self._batched():
                for page in self._pages:
                    self._render(page)
        shown = self.segment_widgets
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
        """Take in new text: pieces of `FEED_BUDGET` characters while the pass has taken
        less than `PASS_SECONDS` (then one layout and paint for them all)."""
        started = time.perf_counter()
        stop = self._fed
        with self._batched():
            while True:
                stop = min(len(self._source), self._fed + FEED_BUDGET)
                self._splitter.feed(self._source[self._fed : stop])
                self._fed = stop
                spent = time.perf_counter() - started
                last = (
                    stop >= len(self._source)
                    # a pass ends outside a code fence if it can
                    or (spent > PASS_SECONDS and not self._splitter.in_code)
                    or spent > 2 * PASS_SECONDS
                )
                # between pieces only settled segments are taken: a fence open at a piece
                # boundary is no reason for a live code block, nor a group to render
                self._sync_segments(settled_only=not last)
                if last:
                    break
            self._sync_tail()
            for page in self._pages:
                page.fit_estimate()
        if stop < len(self._source):
            self._more.start()
        elif self._final and self._code is not None:
            self._code.finish()
        if not self.pending:
            self.reveal()  # caught up: render what is on screen now
        elif (self.lazy_pages or self._uncoloured) and not self._sweep.isActive():
            # a backlog: the view moves on with every pass, so what is on screen is
            # rendered every `SWEEP_MS`, not after every pass
            self._sweep.start()

    def _sweep_view(self) -> None:
        """Render the lazy pages and colour the code blocks that are on screen."""
        # where things are on screen is known once the layouts that are due have run
        # (they would run before the next paint anyway)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        seen = self._lazy_in_view()
        if seen:
            started = time.perf_counter()
            with self._batched():
                for page in seen:
                    self._render(page)
                    if time.perf_counter() - started > PASS_SECONDS:
                        self._soon.start()  # the others once this one is laid out
                        break
        self._uncoloured = [b for b in self._uncoloured if not b.colour_if_seen()]
        if not self.pending or not (self._uncoloured or self.lazy_pages):
            self._sweep.stop()  # from now on: after each pass, and `reveal()` on scrolling

    def reveal(self) -> None:
        """Some of the body may have come into view (the user scrolled, the window
        changed size): render what is on screen. (While a backlog of text is worked off,
        the periodic sweep does that.)"""
        if not self.pending and (self._uncoloured or self.lazy_pages):
            self._soon.start()

    def _clear(self) -> None:
        self._uncoloured = []
        self._sweep.stop()
        for page in self._pages:
            page.hide()
            page.setParent(None)
            page.deleteLater()
        self._tail.set_markdown("")
        self._tail.hide()
        self._fed = 0
        self._reset()

    @contextmanager
    def _batched(self) -> Iterator[None]:
        """New widgets are added with the layouts off, and laid out once afterwards:
        shown one by one in a visible column, each would lay its page out again."""
        for layout in self._layouts():
            layout.setEnabled(False)
        try:
            yield
        finally:
            for layout in self._layouts():
                if not layout.isEnabled():
                    layout.setEnabled(True)
                    layout.invalidate()

    def _layouts(self) -> list[QLayout]:
        return [self._layout, *(p.column for p in self._pages)]

    def _sync_segments(self, settled_only: bool = False) -> None:
        """Turn the splitter's new segments into widgets (or lazily held segments).
        `settled_only`: stop at a code block still open, and leave the open group
        unrendered (more text follows in this pass)."""
        segments = self._splitter.segments
        while self._done < len(segments):
            seg = segments[self._done]
            if settled_only and self._code is None and not seg.closed:
                return
            page = self._current_page()
            if seg.kind == "markdown":
                if page.lazy:
                    page.hold(seg)
                    self._lazy_group_len += len(seg.text)
                    if self._lazy_group_len >= GROUP_CHARS:  # where `_add_block` seals
                        self._lazy_group_len = 0
                        self._turn_page()
                else:
                    self._add_block(seg.text)
                self._done += 1
                continue
            if self._code is None:
                if page.lazy and seg.closed:  # settled on arrival: rendered when seen
                    page.hold(seg)
                    self._lazy_group_len = 0
                    self._done += 1
                    self._turn_page()
                    continue
                if page.lazy:  # the held blocks stay lazy; a growing block needs a widget
                    self._page = None
                self._lazy_group_len = 0
                self._seal()
                # a block complete on arrival is coloured as a whole only
                self._code = CodeBlock(seg.lang, self, live=not seg.closed)
                self._insert(self._code)
            partial = "" if seg.closed else self._splitter.partial_code
            self._code.extend(seg.lines, partial)
            if not seg.closed:
                break
            self._finish_code(self._code)
            self._code = None
            self._done += 1
            self._page = None  # what follows may wait in a lazy page again
        if not settled_only:
            self._render_group()

    def _finish_code(self, block: CodeBlock) -> None:
        block.finish(colour=self._final)
        if not self._final:  # while streaming: once it is on screen
            self._uncoloured.append(block)

    def _sync_tail(self) -> None:
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

    # -- pages ---------------------------------------------------------------------------
    def _current_page(self) -> BodyPage:
        if self._page is None:
            page = BodyPage(self, self._layout.spacing())
            page.column.setEnabled(self._layout.isEnabled())
            self._layout.insertWidget(self._layout.count() - 1, page)  # the tail stays last
            self._pages.append(page)
            self._page = page
            page.show()
        return self._page

    def _turn_page(self) -> None:
        """At the end of a group: new segments go to a new page if this one is full."""
        if self._target is None and self._page is not None and self._page.full:
            self._page = None

    def _render(self, page: BodyPage) -> None:
        """Make the widgets of a lazy page (once)."""
        if not page.lazy:
            return
        pending = page.take_pending()
        current = page is self._page
        saved = (self._group, self._group_parts, self._group_len, self._group_dirty)
        if not current:  # an earlier page: its groups are its own
            self._group, self._group_parts, self._group_len = None, [], 0
        self._target = page
        try:
            for seg in pending:
                self._render_segment(seg)
            if current:
                self._render_group()  # the open group goes on taking blocks
            else:
                self._seal()
        finally:
            self._target = None
            if not current:
                self._group, self._group_parts, self._group_len, self._group_dirty = saved

    def _render_segment(self, seg: Segment) -> None:
        if seg.kind == "markdown":
            self._add_block(seg.text)
            return
        self._seal()
        block = CodeBlock(seg.lang, self, live=False)
        self._insert(block)
        block.extend(seg.lines, "")
        self._finish_code(block)

    def _insert(self, widget: Widget) -> None:
        page = self._target
        if page is None:
            page = self._current_page()
            if page.lazy:  # a widget goes where its page's held segments are shown first
                self._render(page)
        page.add(widget)

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
            self._turn_page()

    def _render_group(self) -> None:
        if self._group is not None and self._group_dirty:
            self._group.set_markdown("".join(self._group_parts))
            self._group_dirty = False

    def _seal(self) -> None:
        self._render_group()
        self._group = None
        self._group_parts = []
        self._group_len = 0
