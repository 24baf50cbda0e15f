"""Run `ChatClient` calls off the GUI thread and get the answer back on it.

    runner.call(client.rename_conversation, cid, title,
                on_result=..., on_error=...)

`fn` runs on a small thread pool; `on_result(value)` or `on_error(ApiError)` runs
later on the GUI thread (through a queued signal). After `shutdown()` no callback
runs any more, so a closing window never hears from a late answer.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop.client_errors import ApiError

log = logging.getLogger(__name__)

T = TypeVar("T")
ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[ApiError], None]


class ApiRunner(QObject):
    """A thread pool for blocking client calls, with results delivered on the GUI thread."""

    _done = Signal(int, object)

    def __init__(self, parent: QObject | None = None, workers: int = 4) -> None:
        super().__init__(parent)
        self._pool: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="sse-chat-api"
        )
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[ResultCallback | None, ErrorCallback | None]] = {}
        self._done.connect(self._deliver)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        on_result: Callable[[T], None] | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        if self._pool is None:
            log.debug("ignoring %s after shutdown", getattr(fn, "__name__", fn))
            return
        call_id = next(self._ids)
        self._pending[call_id] = (on_result, on_error)
        future = self._pool.submit(fn, *args)
        future.add_done_callback(partial(self._emit_done, call_id))

    def _emit_done(self, call_id: int, future: Future[Any]) -> None:
        self._done.emit(call_id, future)  # from a pool thread; queued to the GUI thread

    def _deliver(self, call_id: int, future: Future[Any]) -> None:
        callbacks = self._pending.pop(call_id, None)
        if callbacks is None:
            return
        on_result, on_error = callbacks
        error = future.exception()
        if error is None:
            if on_result is not None:
                on_result(future.result())
            return
        if not isinstance(error, ApiError):
            log.error("background call failed", exc_info=error)
            error = ApiError(0, "an internal error happened")
        if on_error is not None:
            on_error(error)
        else:
            log.warning("unhandled API error: %s", error.message)

    def shutdown(self, wait: bool = True) -> None:
        """Forget every pending callback and stop the pool (idempotent)."""
        self._pending.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
