"""`BodyPage`: a run of a reply's segment widgets, rendered only once it is on screen.

A long reply is a column of pages. A page first holds only its *settled* segments (the
splitter's closed Markdown blocks and code blocks: text that can no longer change) and
stands in for them with an estimated height (`lazy`); it is rendered - its widgets made and
laid out, once - when any of it comes into view. So a fast 200 KB reply costs the widgets
on screen, not hundreds of widgets scrolled past unseen.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.render.splitter import Segment
from desktop.views.segment_kinds import KINDS, Metrics, SegmentWidget

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
        self.lazy = True
        self.pending: list[Segment] = []  # lazy: settled segments not rendered yet
        self.widgets: list[SegmentWidget] = []
        self._estimate = 0.0
        self._metrics: Metrics | None = None
        self.setFixedHeight(0)

    @property
    def full(self) -> bool:
        if self.lazy:
            return len(self.pending) >= PAGE_SEGMENTS
        return len(self.widgets) >= PAGE_WIDGETS

    def hold(self, seg: Segment) -> None:
        """Keep a settled segment to render later; the page grows by its estimated height
        (`fit_estimate()`, once for a whole pass of segments)."""
        if self._metrics is None:
            self._metrics = Metrics(self)
        self.pending.append(seg)
        self._estimate += KINDS[seg.kind].estimate(seg, self._metrics)

    def fit_estimate(self) -> None:
        """A lazy page takes the estimated height of the segments it holds."""
        height = math.ceil(self._estimate)
        if self.lazy and height != self.height():
            self.setFixedHeight(height)

    def take_pending(self) -> list[Segment]:
        """The segments to render now; the page takes its real height from then on."""
        pending, self.pending = self.pending, []
        self.lazy = False
        self.setMinimumHeight(0)
        self.setMaximumHeight(WIDGET_SIZE_MAX)
        return pending

    def add(self, widget: SegmentWidget) -> None:
        widget.setParent(self)
        self.column.addWidget(widget)
        self.widgets.append(widget)
        widget.show()
        if self.width() > 0:  # its final width before it has text: laid out once
            widget.resize(self.width(), widget.height())

    def on_screen(self) -> bool:
        return self.isVisible() and not self.visibleRegion().isEmpty()
