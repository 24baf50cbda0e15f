"""The durable chat history: SQLite (stdlib `sqlite3`, WAL) behind a synchronous `Store`.

`Store` is plain blocking code, testable on its own. The app uses it through
`backend.store_thread.AsyncStore`, which runs every call on one dedicated thread.
Its parts: `backend.store_file` (opening, checking, recovery, space), `backend.store_messages`
(messages and replies), and here the conversations.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from backend.records import Conversation, new_id, utc_now
from backend.storage_errors import DISK_FULL, DISK_IO, storage_failure
from backend.store_messages import NotFoundError, StoreMessages, WrongRoleError, _conversation

__all__ = ["DISK_FULL", "DISK_IO", "NotFoundError", "Store", "WrongRoleError", "storage_failure"]

logger = logging.getLogger(__name__)

#: What `update_conversation` may change.
CONVERSATION_FIELDS = frozenset({"title", "model", "system_prompt"})

#: Conversations of an import still under way are hidden from every listing.
VISIBLE = "id NOT IN (SELECT conversation_id FROM import_pending)"

#: `Store` methods that only read. Every other one writes: it waits for the start-up check
#: and is refused once the file is known to be damaged (`AsyncStore.run`).
READS = frozenset({"list_conversations", "get_conversation", "list_messages", "get_message"})


class Store(StoreMessages):
    """Conversations and messages in one SQLite file. Not thread-safe: use from one thread."""

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
