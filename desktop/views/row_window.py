"""`RowWindow`: which rows of a message list have widgets in the chat view (no Qt).

A long conversation is shown through a window of consecutive rows, `first .. end - 1`: it
opens on the newest `initial` rows, grows by `page` rows at a time at either edge, and is
cut back to at most `most` rows at the edge far from the reader. The chat view keeps one
widget per row of the window, in order; each method here moves the window and says which
rows gain a widget (and at which position of the window) or which positions lose theirs,
so the view only makes and drops widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

INITIAL_ROWS = 50  # messages shown when a conversation opens
PAGE_ROWS = 30  # messages added at a time while scrolling through history
MAX_WIDGETS = 150  # more than this and the farthest ones are dropped

#: Where rows inserted into the list fall: above the window (it shifts down), below a
#: window that does not reach the end (nothing to show), or inside it.
Outside = Literal["above", "below"]


@dataclass(frozen=True, slots=True)
class Added:
    """Rows `rows` get widgets, the first at window position `at`."""

    rows: range
    at: int


@dataclass(slots=True)
class RowWindow:
    initial: int = INITIAL_ROWS
    page: int = PAGE_ROWS
    most: int = MAX_WIDGETS
    first: int = 0  # the window's first row
    size: int = 0  # rows in the window

    @property
    def end(self) -> int:
        """One past the window's last row."""
        return self.first + self.size

    def reaches_end(self, rows: int) -> bool:
        """The window shows the last of `rows` rows."""
        return self.end >= rows

    def position(self, row: int) -> int:
        """The window position of `row` (a row in the window)."""
        return row - self.first

    def rows_in(self, start: int, stop: int) -> range:
        """The rows of `start .. stop - 1` that are in the window."""
        return range(max(start, self.first), min(stop, self.end))

    # -- moves ---------------------------------------------------------------------------
    def open(self, rows: int) -> Added:
        """A list of `rows` rows shown afresh (no widgets yet): its newest `initial`."""
        self.first = max(0, rows - self.initial)
        self.size = rows - self.first
        return Added(range(self.first, rows), 0)

    def older(self) -> Added | None:
        """A page of rows above the window; None at the top."""
        if self.first == 0:
            return None
        rows = range(max(0, self.first - self.page), self.first)
        self.first = rows.start
        self.size += len(rows)
        return Added(rows, 0)

    def newer(self, rows: int) -> Added | None:
        """A page of rows below the window, of a list of `rows` rows; None at the end."""
        if self.reaches_end(rows):
            return None
        added = Added(range(self.end, min(rows, self.end + self.page)), self.size)
        self.size += len(added.rows)
        return added

    def cut_top(self) -> range:
        """Back to `most` rows, dropping the oldest: the window positions that go."""
        extra = max(0, self.size - self.most)
        self.first += extra
        self.size -= extra
        return range(extra)

    def cut_bottom(self) -> range:
        """Back to `most` rows, dropping the newest: the window positions that go."""
        gone = range(min(self.size, self.most), self.size)
        self.size -= len(gone)
        return gone

    # -- changes of the list ---------------------------------------------------------------
    def inserted(self, first: int, count: int, rows: int) -> Added | Outside:
        """`count` rows were inserted at row `first`; the list has `rows` rows now. Rows
        at the window's first row go above it (unless it starts at the top), rows at its
        end go into it only if it reached the end before."""
        if first < self.first or (first == self.first and self.first > 0):
            self.first += count
            return "above"
        if first > self.end or (first == self.end and self.end < rows - count):
            return "below"
        added = Added(range(first, first + count), first - self.first)
        self.size += count
        return added

    def removed(self, first: int, count: int) -> range:
        """`count` rows were removed from row `first` on: the window positions that go."""
        lo, hi = max(first, self.first), min(first + count, self.end)
        gone = range(lo - self.first, hi - self.first) if hi > lo else range(0)
        self.size -= len(gone)
        if first < self.first:
            self.first -= min(count, self.first - first)
        return gone
