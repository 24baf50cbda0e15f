"""Search indexing of imported messages, after the import (see `migrations.DEFERRED_SEARCH`).

An import stores its messages without indexing them (their `num` goes to `search_backlog`
in the same transaction), so it runs at the pace of parsing and writing, not of FTS5's
trigram indexing (about 1.5 MB of text per CPU second here). `SearchIndexer` then indexes
the backlog in bounded batches on the store thread, each batch one transaction (a crash
loses at most the batch under way, which stays in the backlog and is indexed at the next
start), never while an import runs (it takes the import lock for each batch). Until a
message is indexed, `backend.search` scans the backlog's rows too, so every message is
found the moment its import returns. After a large backlog the index's segments are merged
into one, in bounded steps (`tidy_index`), since each batch added a segment to search.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from backend.store import Store
from backend.store_thread import AsyncStore

logger = logging.getLogger(__name__)

#: Messages indexed per transaction (about 0.1-0.3 s of the store thread for chat-sized
#: texts): other requests queue behind one batch at most.
BATCH_ROWS = 300
#: A backlog at least this large, and at least a quarter of all messages, is followed by
#: merging the index's segments into one (each batch added one: a query over an index left
#: in many segments took about 1.4 times as long).
TIDY_AFTER_ROWS = 1000
#: Pages written per merge step (one transaction each), and at most this many steps.
TIDY_PAGES = 500
TIDY_STEPS = 400


def index_backlog(store: Store, rows: int = BATCH_ROWS) -> int:
    """Index up to `rows` messages of the backlog (one transaction); how many are left."""
    with store.transaction() as conn:
        last = conn.execute(
            "SELECT MAX(num) FROM (SELECT num FROM search_backlog ORDER BY num LIMIT ?)", (rows,)
        ).fetchone()[0]
        if last is None:
            return 0
        conn.execute(
            "INSERT INTO messages_fts (rowid, content) SELECT m.num, m.content || char(1, 1)"
            " FROM search_backlog b JOIN messages m ON m.num = b.num WHERE b.num <= ?",
            (last,),
        )
        conn.execute("DELETE FROM search_backlog WHERE num <= ?", (last,))
        left: int = conn.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0]
    return left


def tidy_index(store: Store, pages: int = TIDY_PAGES) -> bool:
    """One step (one transaction, about `pages` pages written) of merging the index's
    segments into one; whether there was work (FTS5's own test: two or more changes)."""
    with store.transaction() as conn:
        before = conn.total_changes
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', ?)", (-pages,))
        return conn.total_changes - before >= 2


def message_count(store: Store) -> int:
    count: int = store.connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    return count


def backlog_size(store: Store) -> int:
    """How many messages wait to be indexed."""
    count: int = store.connection.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0]
    return count


class SearchIndexer:
    """Indexes the backlog in the background: at start-up and whenever `wake` is called."""

    def __init__(self, store: AsyncStore, import_lock: asyncio.Lock) -> None:
        self._store = store
        self._lock = import_lock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._wake.set()  # what a previous process left
        self._task = asyncio.create_task(self._run(), name="search-indexer")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # a full disk, a damaged file: tried again at the next wake
                logger.exception("Indexing imported messages for search failed")

    async def _drain(self) -> None:
        backlog = await self._store.run(backlog_size)
        if not backlog:
            return
        while True:
            async with self._lock:  # never during an import; an import waits one batch at most
                left = await self._store.run(index_backlog)
            if not left:
                break
            await asyncio.sleep(0)
        logger.info("Indexed %d imported messages for search", backlog)
        if backlog >= TIDY_AFTER_ROWS and backlog * 4 >= await self._store.run(message_count):
            for _ in range(TIDY_STEPS):
                async with self._lock:
                    if not await self._store.run(tidy_index):
                        break
                await asyncio.sleep(0)
            logger.info("Merged the search index")
