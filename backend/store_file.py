"""The store's SQLite file: opening, migrating, checking, recovery, and keeping its space.

`StoreFile` is the base of `backend.store.Store`: the connection, its write transactions,
the start-up clean-up, and giving freed pages back after a large delete.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Self

from backend.datalock import DataLock
from backend.migrations import SCHEMA_VERSION, migrate, schema_version
from backend.private_files import private_file, private_folder, tighten
from backend.recovery import DamagedDatabase, Recovered, quick_check, recover
from backend.storage_errors import is_damage

logger = logging.getLogger(__name__)

#: Bytes the -wal file keeps after a checkpoint.
WAL_SIZE_LIMIT = 16 << 20
#: Free pages (of 4 KiB) after a delete that make the store give the space back.
VACUUM_AFTER_FREE_PAGES = 256
#: Pages of search-index work a large delete may do to drop the deleted texts' entries.
FTS_MERGE_PAGES = 2000


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        # A checkpoint leaves the -wal file at most this large (it grew to the size of the
        # largest reply written and stayed so).
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    except BaseException:
        conn.close()
        raise
    return conn


def _open_checked(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A migrated connection, and whether the file was checked already. Migrations write, so
    a database they would change is checked first (`DamagedDatabase`)."""
    conn = _connect(path)
    try:
        version = schema_version(conn)
        checked = 0 < version < SCHEMA_VERSION
        if checked and (problems := quick_check(path)):
            raise DamagedDatabase(path, problems)
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn, checked


class StoreFile:
    """One open SQLite file of the chat history. Not thread-safe: use from one thread."""

    """Conversations and messages in one SQLite file. Not thread-safe: use from one thread."""

    def __init__(
        self, conn: sqlite3.Connection, lock: DataLock | None = None, path: Path | None = None
    ) -> None:
        self._conn = conn
        self._lock = lock
        self.path = path
        #: Whether `PRAGMA quick_check` has passed on this file since it was opened.
        self.checked = False
        #: Set when the file was found damaged and replaced by what could be read of it.
        self.recovered: Recovered | None = None
        #: The file is known to be damaged: nothing is written to it any more.
        self.damaged = False

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open (creating folder and file if needed), migrate, and enable WAL.

        A database found damaged on the way is kept aside and what can be read of it
        recovered in its place (`backend.recovery`; `recovered` says so). Raises
        `AlreadyInUse` if another process (or another open `Store`) has the file.
        """
        private_folder(path.parent)
        lock = DataLock.acquire(path.with_name(path.name + ".lock"))
        recovered: Recovered | None = None
        try:
            # 0600 from the start (SQLite gives -wal and -shm the database's mode); files a
            # looser earlier version left are tightened.
            for suffix in ("-wal", "-shm"):
                tighten(path.with_name(path.name + suffix))
            private_file(path)
            try:
                conn, checked = _open_checked(path)
            except (DamagedDatabase, sqlite3.DatabaseError) as exc:
                if not isinstance(exc, DamagedDatabase) and not is_damage(exc):
                    raise
                problems = exc.problems if isinstance(exc, DamagedDatabase) else [str(exc)]
                recovered = recover(path, problems)
                conn, checked = _connect(path), True
        except BaseException:
            lock.release()
            raise
        store = cls(conn, lock, path)
        store.checked, store.recovered = checked, recovered
        return store

    def recover(self, problems: list[str]) -> Recovered:
        """The start-up check found damage: keep the file aside, continue on what could be
        read of it. If even that fails, the damaged file stays open, read-only."""
        assert self.path is not None
        self._conn.close()
        try:
            self.recovered = recover(self.path, problems)
        except BaseException:
            self._conn = _connect(self.path)
            self.protect()
            raise
        self._conn = _connect(self.path)
        self.checked = True
        return self.recovered

    def protect(self) -> None:
        """Never write into a file known to be damaged (SQLite refuses it from now on)."""
        self.damaged = True
        try:
            self._conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            logger.warning("Could not make the damaged history read-only: %s", exc)

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection, for the query modules (search, export, import); store thread only."""
        return self._conn

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """`with store.transaction() as conn:` one `BEGIN IMMEDIATE` ... `COMMIT`."""
        return self._transaction()

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. The COMMIT is inside: on a full disk it is the COMMIT that
        fails, and the transaction must not stay open (every later BEGIN would fail until a
        restart). SQLite may have rolled back already (SQLITE_FULL does)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error as exc:  # keep the original error, not this one
                    logger.warning("Rolling back failed: %s", exc)
            raise

    def _give_space_back(self) -> None:
        """After a delete: if it freed many pages, return them to the file system (the
        database uses `auto_vacuum = INCREMENTAL`) and shrink the -wal file."""
        try:
            free = int(self._conn.execute("PRAGMA freelist_count").fetchone()[0])
            if free < VACUUM_AFTER_FREE_PAGES:
                return
            # The search index keeps a deleted text's trigrams (and adds delete markers) until
            # its segments are merged: a bounded merge drops them, so their pages free too.
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', ?)",
                    (-FTS_MERGE_PAGES,),  # negative: merge even a level of two segments
                )
            # executescript steps the pragma to its end (execute() would free one page).
            self._conn.executescript("PRAGMA incremental_vacuum;")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.OperationalError as exc:  # the delete itself is done and kept
            logger.warning("Could not give the freed space back: %s", exc)
            return
        logger.info("Gave back %d free pages of the chat history", free)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
        return row

    # -- start-up -------------------------------------------------------------------------

    def discard_unfinished_imports(self) -> int:
        """Conversations of an import that never finished (the process died): remove them."""
        with self._transaction() as conn:
            count = conn.execute(
                "DELETE FROM conversations WHERE id IN (SELECT conversation_id FROM import_pending)"
            ).rowcount
        if count:
            logger.info("Removed %d conversations of an unfinished import", count)
        return count

    def mark_streaming_interrupted(self) -> int:
        """Replies left `streaming` by a previous process died with it: mark them."""
        with self._transaction() as conn:
            count = conn.execute(
                "UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'"
            ).rowcount
        if count:
            logger.info(
                "Marked %d unfinished repl%s interrupted", count, "y" if count == 1 else "ies"
            )
        return count
