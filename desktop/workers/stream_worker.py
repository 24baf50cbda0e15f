"""`StreamWorker`: follows one reply's event stream on its own QThread.

Signals (all carry the reply id, so one slot can serve many workers):

- `text_ready(mid)` when new text waits in `take()` or new reasoning in
  `take_reasoning()` (once until it is taken: a fast stream costs the GUI thread one
  queued call per frame, not one per event);
- `ended(mid, message)` with the stored `Message` from the `end` or `error` event
  (an `error` event's `detail` becomes `Message.error`);
- `reconnecting(mid, attempt)` before each resume attempt;
- `failed(mid, reason)` when the stream cannot be followed (retries used up, refused);
- `done(mid)`, always, last (QThread's own `finished` follows).

A dropped connection resumes with `Last-Event-ID` = the code points received so far
(reasoning and answer text alike, PROTOCOL.md section 4), so no character is lost or
doubled. `stop()` (from the GUI thread) shuts the socket down, which wakes a read
blocked on a silent stream at once.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop.client_errors import ApiError, StreamDropped
from desktop.records import Message
from desktop.workers.abort import Abort

if TYPE_CHECKING:
    import requests

    from desktop.client import ChatClient

log = logging.getLogger(__name__)

#: Waits before resume attempts 1, 2, ...; more drops in a row than this is a failure.
BACKOFF = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
LOST = "Lost the connection to the chat backend while a reply was streaming."


class StreamWorker(QThread):
    text_ready = Signal(str)
    ended = Signal(str, object)
    reconnecting = Signal(str, int)
    failed = Signal(str, str)
    #: The last signal of `run()` (like QThread.finished, but it names the reply).
    done = Signal(str)

    def __init__(
        self,
        client: ChatClient,
        mid: str,
        offset: int = 0,
        parent: QObject | None = None,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"stream-{mid}")
        self.client = client
        self.mid = mid
        self.offset = offset  # code points of the reply received so far
        self._backoff = backoff
        self._abort = Abort()
        self._session: requests.Session | None = None
        self.delta_events = 0  # `delta` events read
        self._text: list[str] = []  # new text not taken yet
        self._reasoning: list[str] = []  # new reasoning not taken yet
        self._text_lock = threading.Lock()
        self._text_posted = False

    # -- GUI thread ----------------------------------------------------------------
    def stop(self) -> None:
        """Ask the worker to end now; returns at once (then `wait()` if you must)."""
        self._abort.stop()

    @property
    def stopping(self) -> bool:
        return self._abort.is_set()

    def take(self) -> str:
        """The text received since the last call (and `text_ready` may come again)."""
        with self._text_lock:
            text = "".join(self._text)
            self._text.clear()
            self._text_posted = False
        return text

    def take_reasoning(self) -> str:
        """The reasoning received since the last call (call it before `take()`)."""
        with self._text_lock:
            text = "".join(self._reasoning)
            self._reasoning.clear()
        return text

    def _push(self, text: str, reasoning: bool = False) -> None:
        with self._text_lock:
            (self._reasoning if reasoning else self._text).append(text)
            post = not self._text_posted
            self._text_posted = True
        if post:
            self.text_ready.emit(self.mid)

    # -- worker thread -------------------------------------------------------------
    def run(self) -> None:
        try:
            session = self.client.new_session()
        except ApiError as exc:
            self.failed.emit(self.mid, exc.message)
            self.done.emit(self.mid)
            return
        session.hooks["response"].append(self._abort.remember)
        self._session = session
        try:
            self._follow()
        except Exception:  # never let a bug kill the thread silently
            log.exception("stream worker for %s crashed", self.mid)
            self.failed.emit(self.mid, "The reply stream stopped because of an internal error.")
        finally:
            self._session = None
            self.client.release(session)
            self.done.emit(self.mid)

    def _follow(self) -> None:
        assert self._session is not None
        drops = 0
        while not self._abort.is_set():
            try:
                source = self.client.open_events(self.mid, self.offset, self._session)
            except ApiError as exc:
                if exc.status == 0 and drops < len(self._backoff):
                    drops += 1
                    if not self._pause(drops):
                        return
                    continue
                if not self._abort.is_set():
                    self.failed.emit(self.mid, LOST if exc.status == 0 else exc.message)
                return
            before = self.offset
            try:
                if self._consume(source):
                    return
            except (StreamDropped, OSError, UnicodeDecodeError) as exc:  # requests' are OSErrors
                # UnicodeDecodeError: a stream without chunked framing, cut inside a
                # multi-byte character, hands the SSE parser its partial last line.
                log.info("stream of %s dropped at %d: %r", self.mid, self.offset, exc)
            finally:
                self._abort.forget()
                source.close()
            if self._abort.is_set():
                return
            drops = 1 if self.offset > before else drops + 1
            if drops > len(self._backoff):
                self.failed.emit(self.mid, LOST)
                return
            if not self._pause(drops):
                return

    def _pause(self, attempt: int) -> bool:
        """Wait before resume `attempt`; False when stopped meanwhile."""
        self.reconnecting.emit(self.mid, attempt)
        delay = self._backoff[min(attempt, len(self._backoff)) - 1]
        return not self._abort.wait(delay)

    def _consume(self, source: Any) -> bool:
        """Read events until the reply ends (True) or the stream drops (raises)."""
        for event in source:
            if self._abort.is_set():
                return True
            if not event.data:
                continue
            data = json.loads(event.data)
            if event.type in ("delta", "reasoning"):
                text = str(data.get("text", ""))
                self.offset += len(text)
                if event.last_event_id and event.last_event_id != str(self.offset):
                    log.warning(
                        "stream of %s: id %s after %d code points",
                        self.mid,
                        event.last_event_id,
                        self.offset,
                    )
                self.delta_events += 1
                if text:
                    self._push(text, reasoning=event.type == "reasoning")
            elif event.type in ("end", "error"):
                detail = str(data.get("detail") or "") if event.type == "error" else None
                self.ended.emit(self.mid, Message.from_json(data["message"], detail))
                return True
        raise StreamDropped  # a stream that just stops is a drop, too
