"""`AsyncStore`: the event loop's door to `Store`, which lives on one dedicated thread.

Every call runs on a single-worker executor, in submission order, so the loop never blocks
on disk and a write submitted before another always lands first.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from backend.errors import InsufficientStorage
from backend.store import Store, storage_failure

P = ParamSpec("P")
T = TypeVar("T")


class AsyncStore:
    """Runs `Store` methods on the store thread: `await store.run(Store.get_message, mid)`."""

    def __init__(self, executor: ThreadPoolExecutor, store: Store) -> None:
        self._executor = executor
        self._store = store
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> AsyncStore:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sse-chat-store")
        loop = asyncio.get_running_loop()
        try:
            store = await loop.run_in_executor(executor, Store.open, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, store)

    async def run(
        self, method: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """The call's result; a full or failing disk is `InsufficientStorage` (a 507)."""
        if self._closed:
            raise RuntimeError("The store is closed")
        loop = asyncio.get_running_loop()
        call = functools.partial(method, self._store, *args, **kwargs)
        try:
            return await loop.run_in_executor(self._executor, call)
        except (sqlite3.Error, OSError) as exc:
            detail = storage_failure(exc)
            if detail is None:
                raise
            raise InsufficientStorage(detail) from exc

    async def close(self) -> None:
        """Finish every queued write, close the database, stop the thread."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._store.close)
        finally:
            # Jobs run in order, so nothing is left once `close` has run.
            self._executor.shutdown(wait=False)
