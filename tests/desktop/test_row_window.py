"""`RowWindow`: which messages hold widgets in the chat view (pure arithmetic, no Qt).

Each test drives a window over a list the way the chat view does and checks it against
an explicit list of the rows that have widgets (`Mirror`), so positions and rows agree.
"""

from __future__ import annotations

import random

from desktop.views.row_window import Added, RowWindow


class Mirror:
    """The chat view's side: one entry (the row it shows) per widget, moved as told."""

    def __init__(self, window: RowWindow) -> None:
        self.window = window
        self.shown: list[int] = []

    def add(self, added: Added | str | None) -> None:
        assert isinstance(added, Added)
        self.shown[added.at : added.at] = list(added.rows)

    def drop(self, gone: range) -> None:
        del self.shown[gone.start : gone.stop]

    def check(self, rows: int) -> None:
        w = self.window
        assert len(self.shown) == w.size
        assert 0 <= w.first <= w.end <= rows


def test_opens_on_the_newest_rows() -> None:
    w = RowWindow(initial=50)
    assert w.open(2000) == Added(range(1950, 2000), 0)
    assert (w.first, w.end, w.reaches_end(2000)) == (1950, 2000, True)
    assert w.open(12) == Added(range(12), 0) and (w.first, w.size) == (0, 12)
    assert w.open(0) == Added(range(0), 0) and w.reaches_end(0)


def test_pages_up_to_the_top_bounded_and_back_down() -> None:
    w = RowWindow(initial=50, page=30, most=150)
    m = Mirror(w)
    m.add(w.open(400))
    while (added := w.older()) is not None:
        m.add(added)
        m.drop(w.cut_bottom())
        m.check(400)
        assert m.shown == list(range(w.first, w.end))
    assert (w.first, w.size) == (0, 150) and not w.reaches_end(400)
    assert w.older() is None
    while (added := w.newer(400)) is not None:
        m.add(added)
        m.drop(w.cut_top())
        assert m.shown == list(range(w.first, w.end))
    assert (w.first, w.end) == (250, 400) and w.newer(400) is None


def test_a_page_up_near_the_top_is_short() -> None:
    w = RowWindow(initial=50, page=30)
    w.open(60)
    assert w.older() == Added(range(0, 10), 0)
    assert (w.first, w.size) == (0, 60)


def test_cuts_keep_at_most_most_rows_and_nothing_below_it() -> None:
    w = RowWindow(initial=5, page=3, most=6)
    w.open(20)
    assert w.cut_top() == range(0) and w.cut_bottom() == range(0)
    w.older()
    w.older()  # 11 rows: 9 .. 19
    assert w.cut_bottom() == range(6, 11) and (w.first, w.end) == (9, 15)
    w.open(20)
    w.newer(20)  # at the end already: nothing
    assert (w.first, w.end) == (15, 20)


def test_a_new_message_at_the_end_joins_a_window_that_reaches_the_end() -> None:
    w = RowWindow(initial=3, most=4)
    w.open(3)
    assert w.inserted(3, 1, 4) == Added(range(3, 4), 3)
    assert w.inserted(4, 2, 6) == Added(range(4, 6), 4)
    assert w.cut_top() == range(2) and (w.first, w.end) == (2, 6)


def test_rows_inserted_above_shift_the_window_and_below_are_not_shown() -> None:
    w = RowWindow(initial=3, page=30)
    w.open(10)  # rows 7 .. 9
    assert w.inserted(0, 2, 12) == "above" and (w.first, w.end) == (9, 12)
    assert w.inserted(9, 1, 13) == "above"  # at the first row of a window not at the top
    assert (w.first, w.end) == (10, 13)
    w.older()  # 0 .. 12: a window at the top grows by a row inserted at the top
    assert w.inserted(0, 1, 14) == Added(range(0, 1), 0) and (w.first, w.end) == (0, 14)
    w.most = 5
    w.cut_bottom()  # 0 .. 4, the list has 14 rows
    assert w.inserted(5, 1, 15) == "below"  # the window did not reach the old end
    assert w.inserted(20, 1, 16) == "below" and (w.first, w.end) == (0, 5)


def test_removals_drop_the_rows_in_the_window_and_shift_it() -> None:
    w = RowWindow(initial=5)
    w.open(20)  # 15 .. 19
    assert w.removed(17, 2) == range(2, 4) and (w.first, w.end) == (15, 18)
    assert w.removed(0, 3) == range(0) and (w.first, w.end) == (12, 15)
    assert w.removed(10, 4) == range(0, 2) and (w.first, w.end) == (10, 11)
    assert w.removed(11, 5) == range(0) and (w.first, w.end) == (10, 11)
    assert w.removed(0, 11) == range(0, 1) and (w.first, w.size) == (0, 0)


def test_rows_in_and_positions() -> None:
    w = RowWindow(initial=5)
    w.open(20)
    assert w.rows_in(0, 17) == range(15, 17)
    assert list(w.rows_in(0, 3)) == [] and list(w.rows_in(19, 40)) == [19]
    assert [w.position(r) for r in w.rows_in(0, 100)] == [0, 1, 2, 3, 4]


def test_random_changes_keep_rows_and_positions_in_step() -> None:
    rng = random.Random(7)
    rows = 0
    w = RowWindow(initial=8, page=5, most=20)
    m = Mirror(w)
    m.add(w.open(rows))
    for _ in range(3000):
        move = rng.choice(["insert", "insert", "remove", "older", "newer", "open"])
        if move == "insert":
            first, count = rng.randint(0, rows), rng.randint(1, 3)
            rows += count
            where = w.inserted(first, count, rows)
            # the mirror's rows at and after `first` move down
            m.shown = [r + count if r >= first else r for r in m.shown]
            if isinstance(where, Added):
                m.add(where)
                if rng.random() < 0.5:
                    m.drop(w.cut_top())
        elif move == "remove" and rows:
            first = rng.randrange(rows)
            count = rng.randint(1, min(4, rows - first))
            rows -= count
            m.drop(w.removed(first, count))
            m.shown = [r - count if r >= first + count else r for r in m.shown]
        elif move == "older" and (added := w.older()) is not None:
            m.add(added)
            m.drop(w.cut_bottom())
        elif move == "newer" and (added := w.newer(rows)) is not None:
            m.add(added)
            m.drop(w.cut_top())
        elif move == "open":
            m.shown = []
            m.add(w.open(rows))
        m.check(rows)
        assert m.shown == list(range(w.first, w.end)), move
