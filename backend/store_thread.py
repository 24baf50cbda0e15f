"""`AsyncStore`: the event loop's door to `Store`, which lives on one dedicated thread.

Every call runs on a single-worker executor, in submission order, so the loop never blocks
on disk and a write submitted before another always lands first.

At start-up `PRAGMA quick_check` runs on a thread of its own (about 0.5-1.7 s for a 100 MB
history): reads are served meanwhile, writes wait for it. A damaged file is kept aside and
what can be read of it recovered before the first write (`Store.recover`); a file found
damaged later is never written again (`ServiceUnavailable`, 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from backend.errors import InsufficientStorage, ServiceUnavailable
from backend.recovery import quick_check
from backend.storage_errors import DAMAGED, is_damage, storage_failure
from backend.store import READS, Store

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Told (once) when the start-up found the history damaged and what it recovered.
NoticeListener = Callable[[str], None]


class AsyncStore:
    """Runs `Store` methods on the store thread: `await store.run(Store.get_message, mid)`."""

    def __init__(self, executor: ThreadPoolExecutor, store: Store) -> None:
        self._executor = executor
        self._store = store
        self._closed = False
        self._checked = threading.Event()
        self._ready: asyncio.Task[None] | None = None
        self._on_notice: NoticeListener | None = None
        self.notice: str | None = None

    @classmethod
    async def open(
        cls,
        path: Path,
        first_write: Callable[[Store], Any] | None = None,
        on_notice: NoticeListener | None = None,
    ) -> AsyncStore:
        """Open the store; check it in the background, then run `first_write` (before any
        other write). `on_notice` hears (on the loop) what was found damaged and recovered."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sse-chat-store")
        loop = asyncio.get_running_loop()
        try:
            store = await loop.run_in_executor(executor, Store.open, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        self = cls(executor, store)
        self._on_notice = on_notice
        if store.recovered is not None:
            self._tell(store.recovered.notice)
        self._ready = asyncio.create_task(self._start_up(path, first_write), name="store-check")
        return self

    def _tell(self, notice: str) -> None:
        self.notice = notice
        if self._on_notice is not None:
            try:
                self._on_notice(notice)
            except Exception:
                logger.exception("Telling the start-up notice failed")

    async def _start_up(self, path: Path, first_write: Callable[[Store], Any] | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            if not self._store.checked:
                started = time.perf_counter()
                problems = await asyncio.to_thread(quick_check, path)
                logger.info(
                    "Checked the chat history in %.0f ms: %s",
                    (time.perf_counter() - started) * 1000,
                    "; ".join(problems[:3]) or "ok",
                )
                if problems:
                    recovered = await loop.run_in_executor(
                        self._executor, self._store.recover, problems
                    )
                    self._tell(recovered.notice)
            if first_write is not None:
                await loop.run_in_executor(self._executor, first_write, self._store)
        finally:
            self._checked.set()

    def wait_checked(self, timeout: float | None = None) -> bool:
        """(Any thread.) Whether the start-up check and recovery are over, within `timeout`."""
        return self._checked.wait(timeout)

    async def _writable(self) -> None:
        """Wait for the start-up check; refuse (503) when the file is damaged."""
        ready = self._ready
        if ready is not None and not ready.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(ready)
        failed = ready is not None and ready.done() and not ready.cancelled() and ready.exception()
        if failed or self._store.damaged:
            raise ServiceUnavailable(DAMAGED)

    async def run(
        self, method: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """The call's result; a full or failing disk is `InsufficientStorage` (a 507), a
        damaged file `ServiceUnavailable` (a 503)."""
        if self._closed:
            raise RuntimeError("The store is closed")
        if getattr(method, "__name__", "") not in READS:
            await self._writable()
        loop = asyncio.get_running_loop()
        call = functools.partial(method, self._store, *args, **kwargs)
        try:
            return await loop.run_in_executor(self._executor, call)
        except (sqlite3.Error, OSError) as exc:
            if is_damage(exc):
                logger.error("The chat history file is damaged: %s", exc)
                if not self._store.damaged:
                    await loop.run_in_executor(self._executor, self._store.protect)
                raise ServiceUnavailable(DAMAGED) from exc
            detail = storage_failure(exc)
            if detail is None:
                raise
            raise InsufficientStorage(detail) from exc

    async def close(self) -> None:
        """Finish every queued write, close the database, stop the thread."""
        if self._closed:
            return
        self._closed = True
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()  # a check still running reads on; its connection is its own
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._ready
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._store.close)
        finally:
            # Jobs run in order, so nothing is left once `close` has run.
            self._executor.shutdown(wait=False)
