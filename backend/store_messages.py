"""A conversation's messages in the store: paths, turns, edits, regenerations, replies.

`StoreMessages` adds these to `StoreFile`; `backend.store.Store` adds the conversations.
The tree walks themselves are in `backend.store_tree`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from backend import store_tree as tree
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
from backend.store_file import StoreFile
from backend.store_tree import MESSAGE_COLUMNS as _MESSAGE_COLUMNS


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


class StoreMessages(StoreFile):
    """The message half of `Store`."""

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

        def below_head(conn: sqlite3.Connection) -> tuple[str, str | None]:
            row = conn.execute("SELECT head_id FROM conversations WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise NotFoundError("Conversation not found")
            return cid, row["head_id"]

        return self._user_turn(below_head, content, reply_id, provider, model)

    def add_edit(
        self,
        mid: str,
        content: str,
        reply_id: str,
        provider: str | None = None,
        model: str | None = None,
    ) -> tuple[Message, Message]:
        """An edited copy of user message `mid` beside it (same parent) and a reply below it."""

        def beside(conn: sqlite3.Connection) -> tuple[str, str | None]:
            row = self._message_of(conn, mid, "user", "Only user messages can be edited")
            return row["conversation_id"], row["parent_id"]

        return self._user_turn(beside, content, reply_id, provider, model)

    def _user_turn(
        self,
        place: Callable[[sqlite3.Connection], tuple[str, str | None]],
        content: str,
        reply_id: str,
        provider: str | None,
        model: str | None,
    ) -> tuple[Message, Message]:
        """A new user message where `place` puts it (its conversation and parent, read in
        the same transaction) and its empty `streaming` reply below it, made the head."""
        now = utc_now()
        user_id = new_id()
        with self._transaction() as conn:
            cid, parent_id = place(conn)
            self._insert(conn, cid, user_id, "user", content, "complete", now, parent_id)
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
            row = self._message_of(
                conn, mid, "assistant", "Only assistant replies can be regenerated"
            )
            if row["parent_id"] is None:
                raise WrongRoleError("This reply follows no message, so there is nothing to answer")
            cid = row["conversation_id"]
            self._reply_below(conn, cid, row["parent_id"], reply_id, now, provider, model)
        return self._pair(row["parent_id"], reply_id)

    def _message_of(
        self, conn: sqlite3.Connection, mid: str, role: Role, refusal: str
    ) -> sqlite3.Row:
        """Message `mid`'s row; `WrongRoleError(refusal)` unless it has `role`."""
        row = self._message_row(conn, mid)
        if row["role"] != role:
            raise WrongRoleError(refusal)
        return row

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
