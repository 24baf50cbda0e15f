"""`MarkdownBody`: an assistant message's text, rendered as Markdown while it streams.

The text goes through a `MarkdownSplitter`; this widget turns its segments into a column
of segment widgets (`desktop.views.segments`) and touches only what changed:

- stable Markdown blocks are gathered in *group* widgets (`desktop.views.body_group`);
  a group is rendered when a block joins it, and once full it is sealed and never
  rendered again;
- a code block is one `CodeBlock` that grows by its new lines (any kind shown in a
  widget of its own: `desktop.views.segment_kinds`, which says how each kind is shown);
- the open tail (the text after the last block boundary) has a widget of its own, the
  only one re-rendered on every update;
- widgets live in pages (`desktop.views.body_page`); settled segments wait in a *lazy*
  page (an estimated height) until the page comes into view, so a fast stream renders
  what is on screen, not every block it scrolls past;
- new text is taken in a few milliseconds' worth per event-loop pass
  (`desktop.views.body_pacing`).

So an update costs the new text plus the tail, whatever the reply's length. Which
widgets exist depends only on the text, not on how it was chunked or when pages were
rendered (pages are turned only where a group of blocks ends anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

from desktop.render.splitter import MarkdownSplitter, Segment
from desktop.views.body_group import OpenGroup
from desktop.views.body_pacing import FeedPacing, Pass
from desktop.views.body_page import BodyPage, pages_on_screen
from desktop.views.segment_kinds import KINDS, Block, BlockKind, SegmentWidget, TextKind
from desktop.views.segments import MarkdownSegment
from desktop.views.widget_utils import discard

#: To tell a grown text from a new one, this much of the old text's end is compared.
CHECK_CHARS = 64


class MarkdownBody(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBody")
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)  # (paints nothing itself)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        # Grown text makes the body taller at once, before its layout runs: else the layout
        # first squeezes the blocks above into the old height (moving and repainting them)
        # and lays them out again once the message is resized.
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self._source = ""
        self._fed = 0  # characters of `_source` given to the splitter
        self._final = False
        self._pacing = FeedPacing(self, self._next_pass, self._sweep_view)
        self._unfinished: list[Block] = []  # closed while streaming, to finish once seen
        self._batch: list[QLayout] | None = None  # layouts off until a batch ends
        self._tail = MarkdownSegment(self)
        self._tail.hide()
        self._layout.addWidget(self._tail)
        self._reset()

    def _reset(self) -> None:
        self._splitter = MarkdownSplitter()
        self._done = 0  # segments fully shown
        self._group = OpenGroup()
        self._block: Block | None = None  # the widget of a segment still open (growing)
        self._pages: list[BodyPage] = []
        self._lazy: list[BodyPage] = []  # the pages still lazy, top to bottom
        self._held: list[BodyPage] = []  # pages that took held segments in this pass
        self._page: BodyPage | None = None  # the page new segments go to
        self._target: BodyPage | None = None  # the page being rendered
        #: Since the last caught-up pass: a page or held segment, or a block to finish, was
        #: added (else what is on screen changes only when the view moves, see `reveal()`).
        self._sweep_due = False

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
    def segment_widgets(self) -> list[SegmentWidget]:
        """The segment widgets made so far (not those of pages still lazy)."""
        return [w for page in self._pages for w in page.widgets]

    @property
    def lazy_pages(self) -> int:
        return len(self._lazy)

    @property
    def unrendered_in_view(self) -> bool:
        """Some of what is on screen waits in a lazy page (as of the last layout)."""
        return bool(self._lazy_in_view())

    def _lazy_in_view(self) -> list[BodyPage]:
        return pages_on_screen(self, self._lazy)

    def widgets(self) -> list[SegmentWidget]:
        """Every segment widget, top to bottom (the tail last), rendering any lazy page."""
        if self._lazy:
            with self._batched():
                for page in list(self._lazy):
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
        """Take in new text: a pass of pieces (`desktop.views.body_pacing`), then one
        layout and paint for them all."""
        run = self._pacing.start_pass(len(self._source))
        with self._batched():
            while True:
                stop = run.piece_end(self._fed)
                self._splitter.feed(self._source[self._fed : stop])
                self._fed = stop
                last = run.is_last(stop, self._splitter.in_code)
                # between pieces only settled segments are taken: a fence open at a piece
                # boundary is no reason for a live code block, nor a group to render
                self._sync_segments(settled_only=not last)
                if last:
                    break
            self._sync_tail()
            for page in self._held:
                page.fit_estimate()
            self._held = []
        if self.pending:
            self._pacing.next_pass()
        elif self._final and self._block is not None:
            self._block.finish()
        if not self.pending and self._sweep_due:
            self._sweep_due = False
            self.reveal()  # caught up: render what is on screen now
        elif self.lazy_pages or self._unfinished:
            # a backlog: the view moves on with every pass, so what is on screen is
            # rendered every `SWEEP_MS`, not after every pass
            self._pacing.sweep_while_behind()

    def _next_pass(self) -> None:
        """The next pass of a backlog (from the event loop)."""
        if self._pacing.late("feed"):
            self._pacing.next_pass()
            return
        self._feed_some()

    def _sweep_view(self) -> None:
        """Render the lazy pages and finish the blocks (colour the code) on screen."""
        if self._pacing.late("sweep"):
            self._pacing.sweep_soon()
            return
        # where things are on screen is known once the layouts that are due have run
        # (they would run before the next paint anyway)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        run = self._pacing.start_pass()
        more = False  # work left for another pass (this one has taken its time)
        seen = self._lazy_in_view()
        if seen:
            with self._batched():
                for page in seen:
                    self._render(page, run)
                    if run.out_of_time():
                        more = page.lazy or page is not seen[-1]
                        break
        if self._unfinished:
            left: list[Block] = []
            for block in self._unfinished:
                if run.out_of_time():
                    left.append(block)
                    more = True
                elif not block.finish_if_seen():
                    left.append(block)
            self._unfinished = left
        if more:
            self._pacing.sweep_soon()  # the rest once this is laid out and painted
        if not self.pending or not (self._unfinished or self.lazy_pages):
            self._pacing.stop_sweeping()  # from now on: after each pass, and `reveal()`

    def reveal(self) -> None:
        """Some of the body may have come into view (the user scrolled, the window
        changed size): render what is on screen. (While a backlog of text is worked off,
        the periodic sweep does that.)"""
        if not self.pending and (self._unfinished or self.lazy_pages):
            self._pacing.sweep_soon()

    def _clear(self) -> None:
        self._unfinished = []
        self._pacing.stop_sweeping()
        discard(self._pages)
        self._tail.set_markdown("")
        self._tail.hide()
        self._fed = 0
        self._reset()

    @contextmanager
    def _batched(self) -> Iterator[None]:
        """New widgets are added with the layouts off, and laid out once afterwards:
        shown one by one in a visible column, each would lay its page out again. Only
        the layouts that take a widget are touched (`_hold_layout`): a long reply's other
        pages are not laid out again."""
        if self._batch is not None:  # (already batched)
            yield
            return
        self._batch = []
        self._hold_layout(self._layout)
        try:
            yield
        finally:
            batch, self._batch = self._batch, None
            for layout in batch:
                layout.setEnabled(True)
                layout.invalidate()

    def _hold_layout(self, layout: QLayout) -> None:
        """In a batch: `layout` is off until the batch ends."""
        if self._batch is not None and layout.isEnabled():
            layout.setEnabled(False)
            self._batch.append(layout)

    def _sync_segments(self, settled_only: bool = False) -> None:
        """Turn the splitter's new segments into widgets (or lazily held segments).
        `settled_only`: stop at a segment still open (unless its widget exists), and
        leave the open group unrendered (more text follows in this pass)."""
        segments = self._splitter.segments
        while self._done < len(segments):
            seg = segments[self._done]
            if settled_only and self._block is None and not seg.closed:
                return
            page = self._current_page()
            kind = KINDS[seg.kind]
            if isinstance(kind, TextKind):
                self._take_text(seg, kind, page)
            elif not self._take_block(seg, kind, page):
                break  # it grows with the text to come
            self._done += 1
        if not settled_only:
            self._group.render()

    def _take_text(self, seg: Segment, kind: TextKind, page: BodyPage) -> None:
        """A stable block of text: it joins the open group, shown or held lazily."""
        if not page.lazy:
            self._add_text(seg, kind)
            return
        self._hold(page, seg)
        if self._group.hold(seg.text):  # the group ends here: the page may turn
            self._group.seal()
            self._turn_page()

    def _hold(self, page: BodyPage, seg: Segment) -> None:
        page.hold(seg)
        self._sweep_due = True
        if not self._held or self._held[-1] is not page:
            self._held.append(page)

    def _take_block(self, seg: Segment, kind: BlockKind, page: BodyPage) -> bool:
        """A segment of a block kind (new, or growing); True once it is closed."""
        if self._block is None:
            if page.lazy and seg.closed:  # settled on arrival: rendered when seen
                self._hold(page, seg)
                self._group.seal()
                self._turn_page()
                return True
            if page.lazy and page.pending:  # they stay lazy; a growing block needs a widget
                self._page = None  # (an empty lazy page is rendered for it, at no cost)
            self._group.seal()
            self._block = kind.make(seg, self, not seg.closed)
            self._insert(self._block)
        self._block.grow(seg, "" if seg.closed else self._splitter.partial_code)
        if not seg.closed:
            return False
        self._finish_block(self._block)
        self._block = None
        self._page = None  # what follows may wait in a lazy page again
        return True

    def _finish_block(self, block: Block) -> None:
        block.finish(now=self._final)
        if not self._final:  # while streaming: once it is on screen
            self._unfinished.append(block)
            self._sweep_due = True

    def _sync_tail(self) -> None:
        tail = self._splitter.tail
        if tail.strip():
            self._tail.set_markdown(tail)
            self._tail.show()
        elif self._tail.source_text:
            self._tail.set_markdown("")
            self._tail.hide()

    def finish(self) -> None:
        """The message is complete: a segment still open is final as it stands (once all
        of the text is rendered)."""
        self._final = True
        if self._block is not None and not self.pending:
            self._block.finish()

    # -- pages ---------------------------------------------------------------------------
    def _current_page(self) -> BodyPage:
        if self._page is None:
            page = BodyPage(self, self._layout.spacing())
            self._hold_layout(page.column)
            self._layout.insertWidget(self._layout.count() - 1, page)  # the tail stays last
            self._pages.append(page)
            self._lazy.append(page)
            self._page = page
            self._sweep_due = True
            page.show()
        return self._page

    def _turn_page(self) -> None:
        """At the end of a group: new segments go to a new page if this one is full."""
        if self._target is None and self._page is not None and self._page.full:
            self._page = None

    def _render(self, page: BodyPage, run: Pass | None = None) -> None:
        """Make the widgets of a lazy page (once): all of them, or (with `run`) those that
        fit in its time, ending where a group ends (the rest on a later pass; the widgets
        are the same either way). A page starts with a group of its own; the current
        page's last group stays open (the next blocks join it)."""
        if not page.lazy:
            return
        page.start_render()
        self._hold_layout(page.column)
        outer, self._group = self._group, OpenGroup()
        self._target = page
        current = made = False
        try:
            while page.pending:
                if made and run is not None and self._group.widget is None and run.out_of_time():
                    break  # (between groups)
                made = True
                seg = page.take()
                kind = KINDS[seg.kind]
                if isinstance(kind, TextKind):
                    self._add_text(seg, kind)
                else:
                    self._group.seal()
                    block = kind.make(seg, self, False)
                    self._insert(block)
                    block.grow(seg, "")
                    self._finish_block(block)
            current = page is self._page and not page.pending
            if current:
                self._group.render()  # the open group goes on taking blocks
            else:
                self._group.seal()
        finally:
            page.end_render()
            if not page.lazy:
                self._lazy.remove(page)
            self._target = None
            if not current:
                self._group = outer

    def _insert(self, widget: SegmentWidget) -> None:
        page = self._target
        if page is None:
            page = self._current_page()
            if page.lazy:  # a widget goes where its page's held segments are shown first
                self._render(page)
        self._hold_layout(page.column)
        page.add(widget)

    def _add_text(self, seg: Segment, kind: TextKind) -> None:
        """A stable block joins the open group (shown: the page is rendered)."""
        if self._group.widget is None:
            widget = kind.make(self)
            self._insert(widget)
            self._group.widget = widget
        if self._group.add(seg.text):
            self._group.seal()
            self._turn_page()
