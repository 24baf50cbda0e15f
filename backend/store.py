"""The durable chat history: SQLite (stdlib `sqlite3`, WAL) behind a synchronous `Store`.

`Store` is plain blocking code, testable on its own. The app uses it through
`backend.store_thread.AsyncStore`, which runs every call on one dedicated thread.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backend.datalock import DataLock
from backend.migrations import SCHEMA_VERSION, migrate, schema_version
from backend.private_files import private_file, private_folder, tighten
from backend.records import Conversation, Message, Role, Status, new_id, utc_now
from backend.recovery import DamagedDatabase, Recovered, quick_check, recover
from backend.storage_errors import DISK_FULL, DISK_IO, is_damage, storage_failure

__all__ = ["DISK_FULL", "DISK_IO", "NotFoundError", "NotLastError", "Store", "storage_failure"]

logger = logging.getLogger(__name__)

_MESSAGE_COLUMNS = "id, conversation_id, role, content, status, created_at, error, provider, model"
#: Bytes the -wal file keeps after a checkpoint.
WAL_SIZE_LIMIT = 16 << 20
#: Free pages (of 4 KiB) after a delete that make the store give the space back.
VACUUM_AFTER_FREE_PAGES = 256


class NotFoundError(LookupError):
    """The conversation or message does not exist."""


class NotLastError(ValueError):
    """The message is not the last one of its conversation."""


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(row["id"], row["title"], row["created_at"], row["updated_at"])


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        content=row["content"],
        status=row["status"],
        created_at=row["created_at"],
        error=row["error"],
        provider=row["provider"],
        model=row["model"],
    )


#: `Store` methods that only read. Every other one writes: it waits for the start-up check
#: and is refused once the file is known to be damaged (`AsyncStore.run`).
READS = frozenset({"list_conversations", "get_conversation", "list_messages", "get_message"})


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


class Store:
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
    def open(cls, path: Path) -> Store:
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

    # -- conversations --------------------------------------------------------------------

    def list_conversations(self) -> list[Conversation]:
        rows = self._conn.execute(
            "SELECT * FROM conversations ORDER BY updated_at DESC, rowid DESC"
        ).fetchall()
        return [_conversation(r) for r in rows]

    def get_conversation(self, cid: str) -> Conversation | None:
        row = self._one("SELECT * FROM conversations WHERE id = ?", (cid,))
        return None if row is None else _conversation(row)

    def create_conversation(self, title: str) -> Conversation:
        now = utc_now()
        conv = Conversation(new_id(), title, now, now)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?,?,?,?)",
                (conv.id, conv.title, conv.created_at, conv.updated_at),
            )
        return conv

    def rename_conversation(self, cid: str, title: str) -> Conversation:
        with self._transaction() as conn:
            if not conn.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                (title, utc_now(), cid),
            ).rowcount:
                raise NotFoundError("Conversation not found")
        conv = self.get_conversation(cid)
        assert conv is not None
        return conv

    def delete_conversation(self, cid: str) -> bool:
        with self._transaction() as conn:
            deleted = bool(conn.execute("DELETE FROM conversations WHERE id = ?", (cid,)).rowcount)
        self._give_space_back()
        return deleted

    # -- messages -------------------------------------------------------------------------

    def list_messages(self, cid: str) -> list[Message]:
        rows = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq",
            (cid,),
        ).fetchall()
        return [_message(r) for r in rows]

    def get_message(self, mid: str) -> Message | None:
        row = self._one(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (mid,))
        return None if row is None else _message(row)

    def _insert(
        self,
        conn: sqlite3.Connection,
        cid: str,
        mid: str,
        role: Role,
        content: str,
        status: Status,
        now: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> Message:
        seq = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?", (cid,)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO messages (id, conversation_id, seq, role, content, status, created_at,"
            " provider, model) VALUES (?,?,?,?,?,?,?,?,?)",
            (mid, cid, seq, role, content, status, now, provider, model),
        )
        return Message(mid, cid, role, content, status, now, None, provider, model)

    def _touch(self, conn: sqlite3.Connection, cid: str, now: str) -> None:
        if not conn.execute(
            "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, cid)
        ).rowcount:
            raise NotFoundError("Conversation not found")

    def add_turn(
        self,
        cid: str,
        content: str,
        reply_id: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> tuple[Message, Message]:
        """Store a user message and its empty `streaming` reply (with the given id)."""
        now = utc_now()
        with self._transaction() as conn:
            self._touch(conn, cid, now)
            user = self._insert(conn, cid, new_id(), "user", content, "complete", now)
            reply = self._insert(
                conn, cid, reply_id, "assistant", "", "streaming", now, provider, model
            )
        return user, reply

    def edit_and_truncate(
        self,
        mid: str,
        content: str,
        reply_id: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> tuple[Message, Message]:
        """Replace a user message's content, delete every later message, add a new reply."""
        now = utc_now()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT conversation_id, seq FROM messages WHERE id = ? AND role = 'user'", (mid,)
            ).fetchone()
            if row is None:
                raise NotFoundError("Message not found")
            cid = row["conversation_id"]
            conn.execute("UPDATE messages SET content = ? WHERE id = ?", (content, mid))
            conn.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND seq > ?", (cid, row["seq"])
            )
            self._touch(conn, cid, now)
            reply = self._insert(
                conn, cid, reply_id, "assistant", "", "streaming", now, provider, model
            )
        self._give_space_back()
        user = self.get_message(mid)
        assert user is not None
        return user, reply

    def replace_reply(
        self,
        mid: str,
        reply_id: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> Message:
        """Delete the last message (a reply) and add a new empty `streaming` reply in its place."""
        now = utc_now()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ? AND role = 'assistant'", (mid,)
            ).fetchone()
            if row is None:
                raise NotFoundError("Message not found")
            cid = row["conversation_id"]
            later = conn.execute(
                "SELECT COUNT(*) FROM messages WHERE conversation_id = ?"
                " AND seq > (SELECT seq FROM messages WHERE id = ?)",
                (cid, mid),
            ).fetchone()[0]
            if later:
                raise NotLastError("Only the last reply of a conversation can be regenerated")
            conn.execute("DELETE FROM messages WHERE id = ?", (mid,))
            self._touch(conn, cid, now)
            reply = self._insert(
                conn, cid, reply_id, "assistant", "", "streaming", now, provider, model
            )
        self._give_space_back()
        return reply

    def save_content(self, mid: str, content: str) -> bool:
        """Persist the text a reply has so far (it keeps its status). False if it is gone."""
        with self._transaction() as conn:
            return bool(
                conn.execute(
                    "UPDATE messages SET content = ? WHERE id = ?", (content, mid)
                ).rowcount
            )

    def finish_reply(
        self, mid: str, content: str, status: Status, error: str | None = None
    ) -> Message | None:
        """Store a reply's final text and status; None if the message was deleted meanwhile."""
        now = utc_now()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (mid,)
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE messages SET content = ?, status = ?, error = ? WHERE id = ?",
                (content, status, error, mid),
            )
            conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (now, row["conversation_id"]),
            )
        return self.get_message(mid)
