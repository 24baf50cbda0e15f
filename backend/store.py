"""The durable chat history: SQLite (stdlib `sqlite3`, WAL) behind a synchronous `Store`.

`Store` is plain blocking code, testable on its own. The app uses it through
`backend.store_thread.AsyncStore`, which runs every call on one dedicated thread.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from backend import store_tree as tree
from backend.datalock import DataLock
from backend.migrations import SCHEMA_VERSION, migrate, schema_version
from backend.private_files import private_file, private_folder, tighten
from backend.records import (
    Conversation,
    Message,
    Part,
    Role,
    Stats,
    Status,
    merged,
    new_id,
    parts_from_json,
    parts_json,
    text_of,
    utc_now,
)
from backend.recovery import DamagedDatabase, Recovered, quick_check, recover
from backend.storage_errors import DISK_FULL, DISK_IO, is_damage, storage_failure
from backend.store_tree import MESSAGE_COLUMNS as _MESSAGE_COLUMNS

__all__ = ["DISK_FULL", "DISK_IO", "NotFoundError", "Store", "WrongRoleError", "storage_failure"]

logger = logging.getLogger(__name__)

#: What `update_conversation` may change.
CONVERSATION_FIELDS = frozenset({"title", "model", "system_prompt"})

#: Conversations of an import still under way are hidden from every listing.
VISIBLE = "id NOT IN (SELECT conversation_id FROM import_pending)"
#: Bytes the -wal file keeps after a checkpoint.
WAL_SIZE_LIMIT = 16 << 20
#: Free pages (of 4 KiB) after a delete that make the store give the space back.
VACUUM_AFTER_FREE_PAGES = 256
#: Pages of search-index work a large delete may do to drop the deleted texts' entries.
FTS_MERGE_PAGES = 2000


class NotFoundError(LookupError):
    """The conversation or message does not exist."""


class WrongRoleError(ValueError):
    """The message exists but cannot be used this way (e.g. regenerating a user message)."""


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        row["id"],
        row["title"],
        row["created_at"],
        row["updated_at"],
        head_id=row["head_id"],  # section 7
        model=row["model"],  # section 11
        system_prompt=row["system_prompt"],
    )


def _stats(row: sqlite3.Row) -> Stats | None:
    if row["role"] != "assistant":
        return None
    return Stats(
        row["first_token_ms"], row["duration_ms"], row["prompt_tokens"], row["completion_tokens"]
    )


def _message(row: sqlite3.Row, siblings: tuple[str, ...] = ()) -> Message:
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
        parts=parts_from_json(row["parts"]),  # section 8
        stats=_stats(row),
        parent_id=row["parent_id"],  # section 7
        siblings=siblings or (row["id"],),
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

    # -- conversations --------------------------------------------------------------------

    def list_conversations(self) -> list[Conversation]:
        rows = self._conn.execute(
            f"SELECT * FROM conversations WHERE {VISIBLE} ORDER BY updated_at DESC, rowid DESC"
        ).fetchall()
        return [_conversation(r) for r in rows]

    def get_conversation(self, cid: str) -> Conversation | None:
        row = self._one("SELECT * FROM conversations WHERE id = ?", (cid,))
        return None if row is None else _conversation(row)

    def create_conversation(
        self, title: str, model: str | None = None, system_prompt: str | None = None
    ) -> Conversation:
        now = utc_now()
        conv = Conversation(new_id(), title, now, now, model, system_prompt)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at,"
                " model, system_prompt) VALUES (?,?,?,?,?,?)",
                (conv.id, conv.title, conv.created_at, conv.updated_at, model, system_prompt),
            )
        return conv

    def update_conversation(self, cid: str, changes: Mapping[str, str | None]) -> Conversation:
        """Set some of `title`, `model`, `system_prompt` (section 11); None = the default."""
        unknown = set(changes) - CONVERSATION_FIELDS
        if unknown or not changes:
            raise ValueError(f"cannot change {sorted(unknown) or 'nothing'}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._transaction() as conn:
            if not conn.execute(
                f"UPDATE conversations SET {assignments}, updated_at = ? WHERE id = ?",
                (*changes.values(), utc_now(), cid),
            ).rowcount:
                raise NotFoundError("Conversation not found")
        conv = self.get_conversation(cid)
        assert conv is not None
        return conv

    def rename_conversation(self, cid: str, title: str) -> Conversation:
        return self.update_conversation(cid, {"title": title})

    def retitle(self, cid: str, expected: str, title: str) -> bool:
        """Set the title only if it is still `expected` (a title the model wrote)."""
        with self._transaction() as conn:
            return bool(
                conn.execute(
                    "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ? AND title = ?",
                    (title, utc_now(), cid, expected),
                ).rowcount
            )

    def delete_conversation(self, cid: str) -> bool:
        with self._transaction() as conn:
            deleted = bool(conn.execute("DELETE FROM conversations WHERE id = ?", (cid,)).rowcount)
        self._give_space_back()
        return deleted

    # -- messages -------------------------------------------------------------------------

    def list_messages(self, cid: str) -> list[Message]:
        """The conversation's current path, oldest first (empty for an unknown id)."""
        row = self._one("SELECT head_id FROM conversations WHERE id = ?", (cid,))
        return [] if row is None else self._path(cid, row["head_id"])

    def _path(self, cid: str, head_id: str | None) -> list[Message]:
        rows = tree.path_rows(self._conn, head_id)
        siblings = tree.path_siblings(self._conn, cid, rows)
        return [_message(r, siblings.get(r["parent_id"], ())) for r in rows]

    def list_tree(self, cid: str) -> list[Message]:
        """Every message of the conversation, every branch, in creation order."""
        rows = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq",
            (cid,),
        ).fetchall()
        siblings = tree.tree_siblings(rows)
        return [_message(r, siblings.get(r["parent_id"], ())) for r in rows]

    def get_message(self, mid: str) -> Message | None:
        row = self._one(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (mid,))
        if row is None:
            return None
        siblings = tree.siblings_of(self._conn, row["conversation_id"], (row["parent_id"],))
        return _message(row, siblings.get(row["parent_id"], ()))

    def _insert(
        self,
        conn: sqlite3.Connection,
        cid: str,
        mid: str,
        role: Role,
        content: str,
        status: Status,
        now: str,
        parent_id: str | None,
        provider: str | None = None,
        model: str | None = None,
    ) -> None:
        seq = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?", (cid,)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status,"
            " created_at, provider, model) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (mid, cid, parent_id, seq, role, content, status, now, provider, model),
        )

    def _touch(self, conn: sqlite3.Connection, cid: str, now: str, head_id: str) -> None:
        if not conn.execute(
            "UPDATE conversations SET updated_at = ?, head_id = ? WHERE id = ?",
            (now, head_id, cid),
        ).rowcount:
            raise NotFoundError("Conversation not found")

    def _reply_below(
        self,
        conn: sqlite3.Connection,
        cid: str,
        parent_id: str,
        reply_id: str,
        now: str,
        provider: str | None,
        model: str | None,
    ) -> None:
        """An empty `streaming` reply below `parent_id`, made the conversation's head."""
        self._insert(
            conn, cid, reply_id, "assistant", "", "streaming", now, parent_id, provider, model
        )
        self._touch(conn, cid, now, reply_id)

    def _message_row(self, conn: sqlite3.Connection, mid: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT id, conversation_id, role, parent_id FROM messages WHERE id = ?", (mid,)
        ).fetchone()
        if row is None:
            raise NotFoundError("Message not found")
        return row

    def _pair(self, user_id: str, reply_id: str) -> tuple[Message, Message]:
        user, reply = self.get_message(user_id), self.get_message(reply_id)
        assert user is not None and reply is not None
        return user, reply

    def add_turn(
        self,
        cid: str,
        content: str,
        reply_id: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> tuple[Message, Message]:
        """A user message below the head and its empty `streaming` reply (with the given id)."""
        now = utc_now()
        user_id = new_id()
        with self._transaction() as conn:
            row = conn.execute("SELECT head_id FROM conversations WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise NotFoundError("Conversation not found")
            self._insert(conn, cid, user_id, "user", content, "complete", now, row["head_id"])
            self._reply_below(conn, cid, user_id, reply_id, now, provider, model)
        return self._pair(user_id, reply_id)

    def add_edit(
        self,
        mid: str,
        content: str,
        reply_id: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> tuple[Message, Message]:
        """An edited copy of user message `mid` beside it (same parent) and a reply below it."""
        now = utc_now()
        user_id = new_id()
        with self._transaction() as conn:
            row = self._message_row(conn, mid)
            if row["role"] != "user":
                raise WrongRoleError("Only user messages can be edited")
            cid = row["conversation_id"]
            self._insert(conn, cid, user_id, "user", content, "complete", now, row["parent_id"])
            self._reply_below(conn, cid, user_id, reply_id, now, provider, model)
        return self._pair(user_id, reply_id)

    def add_regeneration(
        self,
        mid: str,
        reply_id: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> tuple[Message, Message]:
        """A new reply beside assistant message `mid` (same parent); (that parent, the reply)."""
        now = utc_now()
        with self._transaction() as conn:
            row = self._message_row(conn, mid)
            if row["role"] != "assistant":
                raise WrongRoleError("Only assistant replies can be regenerated")
            if row["parent_id"] is None:
                raise WrongRoleError("This reply follows no message, so there is nothing to answer")
            cid = row["conversation_id"]
            self._reply_below(conn, cid, row["parent_id"], reply_id, now, provider, model)
        return self._pair(row["parent_id"], reply_id)

    def set_head(self, cid: str, mid: str) -> list[Message]:
        """Make the current path the one through `mid` (down to the newest leaf below it)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?", (mid, cid)
            ).fetchone()
            if row is None:
                raise NotFoundError("Message not found in this conversation")
            head = tree.leaf_below(conn, mid)
            conn.execute("UPDATE conversations SET head_id = ? WHERE id = ?", (head, cid))
        return self._path(cid, head)

    def subtree(self, mid: str) -> tuple[str, list[str]]:
        """(conversation id, `mid` and the ids of every message below it)."""
        row = self._message_row(self._conn, mid)
        return row["conversation_id"], tree.subtree_ids(self._conn, mid)

    def delete_message(self, mid: str) -> int:
        """Delete `mid` and everything below it; move the head if it was among them.

        The new head is the leaf below the most recently created remaining sibling of `mid`,
        else `mid`'s parent. Returns how many messages were deleted.
        """
        now = utc_now()
        with self._transaction() as conn:
            row = self._message_row(conn, mid)
            cid, parent = row["conversation_id"], row["parent_id"]
            head = conn.execute("SELECT head_id FROM conversations WHERE id = ?", (cid,)).fetchone()
            new_head: str | None = head["head_id"]
            if new_head is not None and tree.head_in_subtree(conn, new_head, mid):
                sibling = tree.newest_sibling(conn, cid, parent, mid)
                new_head = tree.leaf_below(conn, sibling) if sibling is not None else parent
            count = tree.delete_subtree(conn, mid)
            conn.execute(
                "UPDATE conversations SET head_id = ?, updated_at = ? WHERE id = ?",
                (new_head, now, cid),
            )
        self._give_space_back()
        return count

    def save_content(self, mid: str, content: str) -> bool:
        """Persist the text a reply has so far (it keeps its status). False if it is gone."""
        return self.save_parts(mid, [Part("text", content)])

    def save_parts(
        self, mid: str, parts: Sequence[Part], first_token_ms: int | None = None
    ) -> bool:
        """Persist the parts a reply has so far (it keeps its status). False if it is gone."""
        parts = merged(parts)
        with self._transaction() as conn:
            return bool(
                conn.execute(
                    "UPDATE messages SET content = ?, parts = ?,"
                    " first_token_ms = COALESCE(?, first_token_ms) WHERE id = ?",
                    (text_of(parts), parts_json(parts), first_token_ms, mid),
                ).rowcount
            )

    def finish_reply(
        self, mid: str, content: str, status: Status, error: str | None = None
    ) -> Message | None:
        """Store a reply's final text and status; None if the message was deleted meanwhile."""
        return self.finish_parts(mid, [Part("text", content)], status, error)

    def finish_parts(
        self,
        mid: str,
        parts: Sequence[Part],
        status: Status,
        error: str | None = None,
        stats: Stats | None = None,
    ) -> Message | None:
        """Store a reply's final parts, status and stats; None if it was deleted meanwhile."""
        now = utc_now()
        parts = merged(parts)
        stats = stats or Stats()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (mid,)
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE messages SET content = ?, parts = ?, status = ?, error = ?,"
                " first_token_ms = ?, duration_ms = ?, prompt_tokens = ?, completion_tokens = ?"
                " WHERE id = ?",
                (
                    text_of(parts),
                    parts_json(parts),
                    status,
                    error,
                    stats.first_token_ms,
                    stats.duration_ms,
                    stats.prompt_tokens,
                    stats.completion_tokens,
                    mid,
                ),
            )
            conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (now, row["conversation_id"]),
            )
        return self.get_message(mid)
