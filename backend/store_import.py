"""The store's side of an import (PROTOCOL.md section 10), run on the store thread.

Each batch is one transaction (so a conversation is stored whole or not at all). The
conversations of an import stay in `import_pending` (hidden from every listing) until
`commit_import`; `discard_import` removes them again (a
failed import changes nothing), and so does start-up after a crash
(`Store.discard_unfinished_imports`). A source id already in `import_sources` (imported
before, or earlier in the same file) is skipped.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass

from backend import store_tree as tree
from backend.import_formats import ImportedConversation
from backend.records import Part, merged, new_id, parts_json
from backend.store import Store

logger = logging.getLogger(__name__)

ALREADY_IMPORTED = "already imported"


@dataclass(frozen=True, slots=True)
class Stored:
    """What became of one conversation of a batch: its message count, or why it was skipped."""

    title: str
    messages: int = 0
    skipped: str | None = None


def _insert(conn: sqlite3.Connection, conv: ImportedConversation, import_id: str) -> int:
    cid = new_id()
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?,?,?,?)",
        (cid, conv.title, conv.created_at, conv.updated_at),
    )
    conn.execute(
        "INSERT INTO import_pending (conversation_id, import_id) VALUES (?,?)", (cid, import_id)
    )
    conn.execute(
        "INSERT INTO import_sources (source_id, conversation_id) VALUES (?,?)",
        (conv.source_id, cid),
    )
    ids: dict[str, str] = {}
    children = Counter(m.parent for m in conv.messages)  # (the trigger leaves imports alone)
    rows = []
    for seq, message in enumerate(conv.messages, start=1):
        mid = ids[message.key] = new_id()
        parent = ids[message.parent] if message.parent is not None else None
        # A reply's reasoning comes before its text (section 8); `parts` stays NULL without it.
        parts = None
        if message.reasoning:
            parts = parts_json(
                merged([Part("reasoning", message.reasoning), Part("text", message.content)])
            )
        rows.append(
            (mid, cid, parent, seq, message.role, message.content, message.created_at, parts,
             children[message.key])
        )  # fmt: skip
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status,"
        " created_at, parts, children) VALUES (?,?,?,?,?,?,'complete',?,?,?)",
        rows,
    )
    head = ids.get(conv.head) if conv.head is not None else None
    if head is None and conv.messages:
        root = conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS NULL"
            " ORDER BY seq DESC LIMIT 1",
            (cid,),
        ).fetchone()[0]
        head = tree.leaf_below(conn, root)
    conn.execute("UPDATE conversations SET head_id = ? WHERE id = ?", (head, cid))
    return len(conv.messages)


def _known(conn: sqlite3.Connection, source_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM import_sources WHERE source_id = ?", (source_id,))
    return row.fetchone() is not None


def _store_all(store: Store, batch: list[ImportedConversation], import_id: str) -> list[Stored]:
    results: list[Stored] = []
    with store.transaction() as conn:
        for conv in batch:
            if _known(conn, conv.source_id):  # (also one earlier in this batch)
                results.append(Stored(conv.title, skipped=ALREADY_IMPORTED))
            else:
                results.append(Stored(conv.title, messages=_insert(conn, conv, import_id)))
    return results


def import_conversations(
    store: Store, batch: list[ImportedConversation], import_id: str
) -> list[Stored]:
    """Store a batch of conversations (hidden until `commit_import`), each whole or not at all.

    One transaction for the batch, without a savepoint per conversation: FTS5 writes its
    pending index data out at every savepoint, which made an import about 8 times slower.
    Should the database refuse something (it should not: the converters check everything),
    the batch is rolled back and stored again one transaction per conversation, the
    refused ones skipped.
    """
    try:
        return _store_all(store, batch, import_id)
    except sqlite3.Error as exc:
        logger.warning("An import batch was refused (%s); storing it one by one", exc)
    results: list[Stored] = []
    for conv in batch:
        try:
            results += _store_all(store, [conv], import_id)
        except sqlite3.Error as exc:
            results.append(Stored(conv.title, skipped=f"it could not be stored ({exc})"))
    return results


def commit_import(store: Store, import_id: str) -> None:
    """Show the conversations of a finished import."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM import_pending WHERE import_id = ?", (import_id,))


def discard_import(store: Store, import_id: str) -> int:
    """Remove every conversation an unfinished import stored; how many there were."""
    with store.transaction() as conn:
        return conn.execute(
            "DELETE FROM conversations WHERE id IN"
            " (SELECT conversation_id FROM import_pending WHERE import_id = ?)",
            (import_id,),
        ).rowcount
