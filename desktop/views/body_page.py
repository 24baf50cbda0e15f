"""`BodyPage`: a run of a reply's segment widgets, rendered only once it is on screen.

A long reply is a column of pages. A page first holds only its *settled* segments (the
splitter's closed Markdown blocks and code blocks: text that can no longer change) and
stands in for them with an estimated height (`lazy`); it is rendered - its widgets made and
laid out, once - when any of it comes into view. So a fast 200 KB reply costs the widgets
on screen, not hundreds of widgets scrolled past unseen.

A page may be rendered over several passes (`start_render`, `take`, `end_render`): the
segments still held then wait under its widgets in a *filler* of their estimated height.
"""

from __future__ import annotations

import bisect
import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.render.splitter import Segment
from desktop.views.segment_kinds import KINDS, Metrics, SegmentWidget
from desktop.views.widget_utils import discard

#: Most widgets a page holds (a page is turned only where a group of blocks ends).
PAGE_WIDGETS = 16
#: Most settled segments a lazy page holds.
PAGE_SEGMENTS = 32
#: Upper bound of any QWidget size (Qt's QWIDGETSIZE_MAX).
WIDGET_SIZE_MAX = 16_777_215


class BodyPage(QWidget):
    def __init__(self, parent: QWidget, spacing: int) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)  # (paints nothing itself)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(spacing)
        self.lazy = True  # some of its segments are held, not rendered yet
        self.pending: list[Segment] = []  # lazy: settled segments not rendered yet
        self.widgets: list[SegmentWidget] = []
        self._estimates: list[float] = []  # of the segments in `pending`
        self._estimate = 0.0  # their sum
        self._taken = 0  # segments taken from `pending` (rendered)
        self._started = False  # widgets are being made: the page has its real height
        self._filler: QWidget | None = None  # stands in for `pending` once started
        self._metrics: Metrics | None = None
        self.setFixedHeight(0)

    @property
    def full(self) -> bool:
        if self.lazy:
            return len(self.pending) + self._taken >= PAGE_SEGMENTS
        return len(self.widgets) >= PAGE_WIDGETS

    def hold(self, seg: Segment) -> None:
        """Keep a settled segment to render later; the page grows by its estimated height
        (`fit_estimate()`, once for a whole pass of segments)."""
        if self._metrics is None:
            self._metrics = Metrics(self)
        estimate = KINDS[seg.kind].estimate(seg, self._metrics)
        self.pending.append(seg)
        self._estimates.append(estimate)
        self._estimate += estimate

    def fit_estimate(self) -> None:
        """A lazy page takes the estimated height of the segments it holds (once it is
        being rendered: its filler does)."""
        if not self.lazy:
            return
        height = math.ceil(self._estimate)
        stand_in = self if self._filler is None else self._filler
        if height != stand_in.height():
            stand_in.setFixedHeight(height)

    def start_render(self) -> None:
        """Widgets are made from here on (`take`): the page takes its real height."""
        if not self._started:
            self._started = True
            self.setMinimumHeight(0)
            self.setMaximumHeight(WIDGET_SIZE_MAX)

    def take(self) -> Segment:
        """The next held segment, to render now."""
        self._taken += 1
        self._estimate -= self._estimates.pop(0)
        return self.pending.pop(0)

    def end_render(self) -> None:
        """A pass of rendering ends: the segments still held wait in the filler."""
        if not self.pending:
            self.lazy = False
            self._estimates = []
            self._estimate = 0.0
            if self._filler is not None:
                discard([self._filler])
                self._filler = None
            return
        if self._filler is None:
            self._filler = QWidget(self)
            self._filler.setObjectName("pageFiller")
            self._filler.setFixedHeight(0)
            self.column.addWidget(self._filler)
            self._filler.show()
        self.fit_estimate()

    def add(self, widget: SegmentWidget) -> None:
        widget.setParent(self)
        self.column.insertWidget(len(self.widgets), widget)  # above the filler
        self.widgets.append(widget)
        widget.show()
        if self.width() > 0:  # its final width before it has text: laid out once
            widget.resize(self.width(), widget.height())

    def on_screen(self) -> bool:
        return self.isVisible() and not self.visibleRegion().isEmpty()


def pages_on_screen(body: QWidget, pages: list[BodyPage]) -> list[BodyPage]:
    """Which of `pages` (children of `body`, top to bottom) are on screen, as of the last
    layout: only those around the visible part of the body are looked at, not every page
    of a long reply."""
    if not pages or not body.isVisible():
        return []
    region = body.visibleRegion()
    if region.isEmpty():
        return []
    seen = region.boundingRect()
    first = bisect.bisect_right(pages, seen.top(), key=lambda p: p.y() + p.height())
    shown: list[BodyPage] = []
    for page in pages[first:]:
        if page.y() > seen.bottom():
            break
        if page.on_screen():
            shown.append(page)
    return shown
