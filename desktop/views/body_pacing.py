"""How a `MarkdownBody` spreads its work over event-loop passes, so that a backlog of text
(a slow frame, a long stored reply) never freezes the window.

- A pass (`Pass`) feeds new text in pieces of `FEED_BUDGET` characters while it has
  taken less than `PASS_SECONDS`; it ends outside a code fence if it can (at the latest
  after twice that). The rest follows from the event loop (`FeedPacing.next_pass()`).
- While a backlog is worked off, the view moves on with every pass, so what is on screen
  is rendered every `SWEEP_MS` (`sweep_while_behind()`), not after every pass.
- `sweep_soon()`: a sweep once the pass just made is laid out (after a pass that caught
  up, when the user scrolled, or to go on with a sweep that ran out of time).
- The passes of all bodies (a reply's answer and its reasoning, each with timers of its
  own) and the layout and paint before them share the event loop's iteration: a pass also
  ends once the iteration has run `ROUND_SECONDS` (`RoundClock`), so however many bodies
  have work, the window stays responsive. A pass from a timer that finds the iteration's
  time already taken waits for the next iteration (once: `late()`), so the timers of
  several bodies that are due together do not all run in one iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import SIGNAL, SLOT, QAbstractEventDispatcher, QObject, Qt, QTimer

#: New text is fed in pieces of this many characters, as many as fit in `PASS_SECONDS`.
FEED_BUDGET = 1000
PASS_SECONDS = 0.006
#: While a backlog of text is worked off: how often what is on screen is rendered.
SWEEP_MS = 100
#: A pass also ends once the event loop's current iteration has run this long.
ROUND_SECONDS = 0.008

Clock = Callable[[], float]


class RoundClock:
    """How long the event loop's current iteration has run: a timer that the event
    dispatcher restarts each time it wakes (a connection within Qt: no Python is called
    per iteration), read in whole milliseconds."""

    INTERVAL_MS = 1 << 30

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.INTERVAL_MS)
        dispatcher = QAbstractEventDispatcher.instance()
        if dispatcher is not None:
            QObject.connect(dispatcher, SIGNAL("awake()"), self._timer, SLOT("start()"))
        self._timer.start()

    def elapsed(self) -> float:
        try:
            remaining = self._timer.remainingTime()
        except RuntimeError:  # (the application is gone)
            return 0.0
        return max(0, self.INTERVAL_MS - remaining) / 1000 if remaining >= 0 else 0.0


_round: RoundClock | None = None


def round_elapsed() -> float:
    """Seconds the event loop's current iteration has run (0 before any body exists)."""
    return _round.elapsed() if _round is not None else 0.0


class Pass:
    """One pass of work: its clock, and (feeding `total` characters) its pieces.
    `round_clock`: how long the event loop's iteration has run (`round_elapsed`)."""

    def __init__(
        self,
        total: int = 0,
        clock: Clock = time.perf_counter,
        round_clock: Clock = round_elapsed,
    ) -> None:
        self._total = total
        self._clock = clock
        self._round = round_clock
        self._started = clock()

    def _spent(self) -> float:
        """The pass's own time, or more if the iteration is near its end."""
        own = self._clock() - self._started
        return max(own, self._round() - (ROUND_SECONDS - PASS_SECONDS))

    def piece_end(self, fed: int) -> int:
        """Where the piece after the first `fed` characters ends."""
        return min(self._total, fed + FEED_BUDGET)

    def is_last(self, fed: int, in_code: bool) -> bool:
        """Whether the pass ends once `fed` characters are fed (`in_code`: they end inside
        a code fence)."""
        spent = self._spent()
        return (
            fed >= self._total or (spent > PASS_SECONDS and not in_code) or spent > 2 * PASS_SECONDS
        )

    def out_of_time(self) -> bool:
        """The pass has taken its time (`PASS_SECONDS`, or the iteration's)."""
        return self._spent() > PASS_SECONDS


class FeedPacing:
    """The timers of a body: its next pass, and sweeps of what is on screen."""

    def __init__(self, parent: QObject, feed: Callable[[], None], sweep: Callable[[], None]):
        global _round
        if _round is None:
            _round = RoundClock()
        self._more = single_shot(parent, feed)
        self._sweep = QTimer(parent)
        self._sweep.setInterval(SWEEP_MS)
        self._sweep.timeout.connect(sweep)
        self._soon = single_shot(parent, sweep)
        self._waited: set[str] = set()

    def late(self, work: str) -> bool:
        """Whether `work` (a pass from a timer) should wait for the next iteration of the
        event loop, this one having taken its time; never twice in a row, so it always
        goes on."""
        if round_elapsed() > ROUND_SECONDS and work not in self._waited:
            self._waited.add(work)
            return True
        self._waited.discard(work)
        return False

    @staticmethod
    def start_pass(total: int = 0) -> Pass:
        return Pass(total)

    def next_pass(self) -> None:
        self._more.start()

    def sweep_soon(self) -> None:
        self._soon.start()

    def sweep_while_behind(self) -> None:
        if not self._sweep.isActive():
            self._sweep.start()

    def stop_sweeping(self) -> None:
        self._sweep.stop()


def single_shot(parent: QObject, slot: Callable[[], None]) -> QTimer:
    """A timer that calls `slot` once, from the next pass of the event loop."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(0)
    timer.timeout.connect(slot)
    return timer
