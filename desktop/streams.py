"""`ReplyStreams`: follows replies into their message models.

One `StreamWorker` per reply being followed (whichever conversation is shown).
A worker hands its new text over once per pickup (`text_ready`, `take()`), and deltas
are applied to the models at most once per frame (16 ms; 100 ms after an update of 40
characters or more, a fast stream), so a fast stream costs one model update per frame, not
one per event: each update lays out and paints the reply's tail (and scrolls the view when
it grew a line), and 10 updates a second of a fast stream show its text as readably as 60.
A stream of a few characters at a time keeps its 16 ms frame: its text shows within ~40 ms
of leaving the responder (the stream bench's latency target), and a model server's chunks
come at most 10 times a second anyway (`backend/openai/pacing.py`).
The first text after a quiet frame is applied at once (a throttle, not a delay): a slow
stream shows each piece as it comes.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.workers.stream_worker import BACKOFF, StreamWorker

if TYPE_CHECKING:
    from desktop.client import ChatClient

log = logging.getLogger(__name__)

FRAME_MS = 16
#: After an update of at least `BIG_UPDATE_CHARS` (a fast stream: ~400 tokens/s or more),
#: the next waits `BIG_FRAME_MS`: each update of a fast stream scrolls and repaints the
#: whole view, and 10 of them a second show its text as readably as 20.
BIG_UPDATE_CHARS = 40
BIG_FRAME_MS = 100
LOST_CONNECTION = "Connection lost"


class ReplyStreams(QObject):
    #: A followed reply ended (complete, stopped, failed) or its stream was lost:
    #: (conversation id, reply id, reason for the user or "").
    finished = Signal(str, str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client: ChatClient | None = None
        self.backoff: tuple[float, ...] = BACKOFF  # waits between resume attempts
        self._workers: dict[str, StreamWorker] = {}
        self._models: dict[str, MessageListModel] = {}
        self._pending: dict[str, list[str]] = {}
        self._pending_reasoning: dict[str, list[str]] = {}
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._flushed_at = -math.inf  # time.monotonic() of the last flush
        self._frame_ms = FRAME_MS  # the wait after the last flush (longer after a big one)

    def worker_for(self, mid: str) -> StreamWorker | None:
        return self._workers.get(mid)

    def follows(self, model: MessageListModel) -> bool:
        """A reply of `model` is being followed (its worker has not finished)."""
        return any(m is model for m in self._models.values())

    @property
    def workers(self) -> list[StreamWorker]:
        return list(self._workers.values())

    def follow(self, model: MessageListModel, mid: str) -> None:
        """Follow reply `mid` of `model`, from the text the model already has."""
        msg = model.message(mid)
        if self.client is None or self._closed or msg is None or mid in self._workers:
            return
        model.set_note(mid, "")
        offset = len(msg.reasoning) + len(msg.content)  # the id counts both (section 4)
        worker = StreamWorker(self.client, mid, offset, self, self.backoff)
        worker.text_ready.connect(self._on_text)
        worker.ended.connect(self._on_ended)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)
        self._workers[mid] = worker
        self._models[mid] = model
        worker.start()

    def forget(self, mid: str) -> None:
        """Stop following `mid` (its message is going away)."""
        worker = self._workers.pop(mid, None)
        self._models.pop(mid, None)
        self._pending.pop(mid, None)
        self._pending_reasoning.pop(mid, None)
        if worker is not None:
            worker.stop()
            worker.wait(2000)
            worker.deleteLater()

    # -- worker signals ----------------------------------------------------------------
    def _on_text(self, mid: str) -> None:
        worker = self._workers.get(mid)
        if worker is None:
            return
        reasoning = worker.take_reasoning()
        if reasoning:
            self._on_delta(mid, reasoning, self._pending_reasoning)
        text = worker.take()
        if text:
            self._on_delta(mid, text)

    def _on_delta(self, mid: str, text: str, pending: dict[str, list[str]] | None = None) -> None:
        (self._pending if pending is None else pending).setdefault(mid, []).append(text)
        if self._timer.isActive():
            return  # the next frame takes it
        wait_ms = self._frame_ms - (time.monotonic() - self._flushed_at) * 1000
        if wait_ms <= 0:
            self.flush()
        else:
            self._timer.start(math.ceil(wait_ms))

    def flush(self, mid: str | None = None) -> None:
        """Apply buffered deltas (of `mid`, or all) to the models."""
        self._flushed_at = time.monotonic()
        keys = [mid] if mid is not None else list({*self._pending, *self._pending_reasoning})
        applied = 0
        for key in keys:
            thoughts = self._pending_reasoning.pop(key, None)
            parts = self._pending.pop(key, None)
            model = self._models.get(key)
            if model is None:
                continue
            if thoughts:
                text = "".join(thoughts)
                applied += len(text)
                model.append_reasoning(key, text)
            if parts:
                text = "".join(parts)
                applied += len(text)
                model.append_delta(key, text)
        self._frame_ms = BIG_FRAME_MS if applied >= BIG_UPDATE_CHARS else FRAME_MS

    def _on_ended(self, mid: str, message: Message) -> None:
        self._on_text(mid)  # what came before the end, not yet taken
        self.flush(mid)
        model = self._models.get(mid)
        if model is None:
            return
        streamed = model.message(mid)
        if streamed is not None and streamed.content != message.content:
            log.warning("reply %s: the streamed text differs from the stored one", mid)
        model.update(message)
        self.finished.emit(model.conversation_id, mid, "")

    def _on_failed(self, mid: str, reason: str) -> None:
        self._on_text(mid)
        self.flush(mid)
        model = self._models.get(mid)
        if model is None:
            return
        log.info("stream of %s failed: %s", mid, reason)
        model.set_note(mid, LOST_CONNECTION)
        self.finished.emit(model.conversation_id, mid, reason)

    def _on_done(self, mid: str) -> None:
        worker = self._workers.pop(mid, None)
        self._models.pop(mid, None)
        self._pending.pop(mid, None)
        self._pending_reasoning.pop(mid, None)
        if worker is not None:
            worker.wait()  # run() is returning: at most a moment
            worker.deleteLater()

    def shutdown(self) -> None:
        """Stop every worker and wait for them (idempotent)."""
        self._closed = True
        self._timer.stop()
        workers = list(self._workers.values())
        self._workers.clear()
        self._models.clear()
        self._pending.clear()
        self._pending_reasoning.clear()
        for worker in workers:
            worker.stop()
        for worker in workers:
            if not worker.wait(3000):
                log.error("stream worker %s did not stop in time", worker.mid)
