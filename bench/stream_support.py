"""Instrumentation of the streaming benchmark (`stream_bench.py`, `history_phases.py`).

Importing it patches the real app in place: the echo responder is paced by `PACE` and notes
when each chunk leaves it (`SENT`), every `MarkdownBody` feed pass notes how much of the
reply is in the view (`SHOWN`) and, with each sweep, lets the `Waiter` check its condition,
and `ReplyStreams` adds up the delta events its workers read (`EVENTS`). Also here: `wait`
(run the Qt event loop until a condition holds), `settle`, `Heartbeat` (GUI-thread
lateness), `consume` (the bare requests-sse loop), `thinking`/`answer_of` and `verdict`.
It expects `bench/` and the repository root on `sys.path`, as `stream_bench.py` sets them.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from requests_sse import EventSource

from backend import responders
from desktop.records import Message
from desktop.streams import ReplyStreams
from desktop.views.markdown_body import MarkdownBody

# -- instrumentation ----------------------------------------------------------------------
PACE = {"delay": 0.0}  # seconds between responder chunks
SENT: list[float] = []  # when each chunk (one code point) left the responder
SHOWN: list[tuple[float, int]] = []  # (time, characters in the view's document)
EVENTS = {"deltas": 0}


_echo_stream = responders.EchoResponder.stream


async def paced_echo(
    self: responders.EchoResponder, messages: Sequence[responders.ChatMessage]
) -> AsyncIterator[str]:
    """The real echo responder at the pause in `PACE`; when paced (the latency part),
    it notes when each chunk leaves it."""
    self.delay = PACE["delay"]
    if not self.delay:
        async for char in _echo_stream(self, messages):
            yield char
        return
    async for char in _echo_stream(self, messages):
        SENT.append(time.perf_counter())
        yield char


responders.EchoResponder.stream = paced_echo  # type: ignore[method-assign]

_feed_some = MarkdownBody._feed_some


def recording_feed_some(self: MarkdownBody) -> None:
    _feed_some(self)
    SHOWN.append((time.perf_counter(), self._fed))
    WAITER.check()


MarkdownBody._feed_some = recording_feed_some  # type: ignore[method-assign]

_sweep_view = MarkdownBody._sweep_view


def checking_sweep_view(self: MarkdownBody) -> None:
    _sweep_view(self)
    WAITER.check()


MarkdownBody._sweep_view = checking_sweep_view  # type: ignore[method-assign]


_on_ended = ReplyStreams._on_ended


def counting_on_ended(self: ReplyStreams, mid: str, message: Message) -> None:
    """Adds up the delta events the window's stream worker read for the reply."""
    worker = self.worker_for(mid)
    if worker is not None:
        EVENTS["deltas"] += worker.delta_events
    _on_ended(self, mid, message)


ReplyStreams._on_ended = counting_on_ended  # type: ignore[method-assign]


class Waiter:
    """Runs the Qt event loop until a condition holds, the way the app runs it (`exec()`:
    no polling loop, no sleeps, which would cost the GUI thread GIL hand-overs). The
    condition is checked after each feed pass and sweep of a reply (the hooks above) and
    every `TICK_MS`."""

    TICK_MS = 5

    def __init__(self) -> None:
        self._loop: QEventLoop | None = None
        self._done: Callable[[], bool] = lambda: True
        self.done_at = 0.0

    def check(self) -> None:
        if self._loop is not None and self._done():
            self.done_at = time.perf_counter()
            self._loop.quit()
            self._loop = None

    def wait(self, done: Callable[[], bool], timeout: float) -> float:
        """Wait until `done()`; returns when it was first seen to hold (perf_counter)."""
        if done():
            return time.perf_counter()
        loop = QEventLoop()
        self._loop, self._done = loop, done
        tick = QTimer()
        tick.setInterval(self.TICK_MS)
        tick.timeout.connect(self.check)
        deadline = QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)
        tick.start()
        deadline.start(int(timeout * 1000))
        loop.exec()
        tick.stop()
        deadline.stop()
        if self._loop is not None:
            self._loop = None
            raise TimeoutError("the benchmark waited too long")
        return self.done_at


WAITER = Waiter()


def consume(url: str, headers: dict[str, str]) -> tuple[int, int, float]:
    """Read one stream to `end`: (characters of `delta` and `reasoning` events, events,
    seconds)."""
    chars = events = 0
    t0 = time.perf_counter()
    with EventSource(url, headers=headers, timeout=60, max_connect_retry=0) as es:
        for ev in es:
            events += 1
            if ev.type in ("delta", "reasoning"):
                chars += len(json.loads(ev.data or "")["text"])
            elif ev.type in ("end", "error"):
                break
    return chars, events, time.perf_counter() - t0


def thinking(reasoning: str, answer: str) -> str:
    """A message the echo responder answers with `reasoning` apart, then `answer`."""
    return f"<think>{reasoning}</think>{answer}"


def answer_of(text: str) -> str:
    """The answer the echo responder gives to `text` (the part after `</think>`)."""
    return text.split("</think>", 1)[1] if text.startswith("<think>") else text


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 120.0) -> float:
    """Run the event loop until `done()`; returns when it first held (perf_counter)."""
    return WAITER.wait(done, timeout)


def settle() -> None:
    """Run the layout and paint work an update has queued."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateRequest)


class Heartbeat:
    """A 5 ms timer on the GUI thread; `worst` is its largest lateness."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._beat)
        self.last = 0.0
        self.worst = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.worst = 0.0
        self.timer.start()

    def _beat(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last - 0.005)
        self.last = now

    def stop(self) -> None:
        self.timer.stop()


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"
