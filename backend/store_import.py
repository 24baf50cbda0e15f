"""The store's side of an import (PROTOCOL.md section 10), run on the store thread.

Each batch is one transaction (so a conversation is stored whole or not at all). The
conversations of an import stay in `import_pending` (hidden from every listing) until
`commit_import`; `discard_import` removes them again (a
failed import changes nothing), and so does start-up after a crash
(`Store.discard_unfinished_imports`). A source id already in `import_sources` (imported
before, or earlier in the same file) is skipped.

A batch's rows are made beforehand (`prepare`, on the event loop while the previous batch is
written) and written with one `INSERT ... SELECT` per table from staging tables in memory
(`temp`), not one statement per row: each statement on `messages` (it has triggers, one of
them writing the full-text index) keeps a statement journal of every page it changes and
opens a savepoint in the index, so one statement per row wrote each touched index page out
again for every message (measured: 688,000 writes for 2,000 conversations, 73,000 now).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from backend.import_formats import ImportedConversation
from backend.records import Part, merged, new_id, parts_json
from backend.store import Store

logger = logging.getLogger(__name__)

ALREADY_IMPORTED = "already imported"
#: The page cache an import works with (KiB; SQLite's default is 2 MiB): the indexes'
#: pages a batch touches stay in memory rather than being read again for every batch.
IMPORT_CACHE_KIB = 32 * 1024

_CONVERSATION_COLUMNS = "id, title, created_at, updated_at, head_id"
_MESSAGE_COLUMNS = "id, conversation_id, parent_id, seq, role, content, created_at, parts, children"
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS import_conversations"
    f" (n INTEGER PRIMARY KEY, source_id, {_CONVERSATION_COLUMNS})",
    f"CREATE TEMP TABLE IF NOT EXISTS import_messages (n INTEGER PRIMARY KEY, {_MESSAGE_COLUMNS})",
)


@dataclass(frozen=True, slots=True)
class Stored:
    """What became of one conversation of a batch: its message count, or why it was skipped."""

    title: str
    messages: int = 0
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A conversation as the rows it becomes (new ids made, the tree and head resolved)."""

    source_id: str
    title: str
    conversation: tuple[str, str, str, str, str | None]  # _CONVERSATION_COLUMNS
    messages: list[tuple[object, ...]]  # _MESSAGE_COLUMNS


def prepare(conv: ImportedConversation) -> Prepared:
    """The rows of one conversation. Its messages come parents first (`import_formats`)."""
    cid = new_id()
    ids: dict[str, str] = {}
    children = Counter(m.parent for m in conv.messages)  # (the trigger leaves imports alone)
    newest_child: dict[str, str] = {}
    last_root: str | None = None
    rows: list[tuple[object, ...]] = []
    for seq, message in enumerate(conv.messages, start=1):
        mid = ids[message.key] = new_id()
        if message.parent is None:
            parent, last_root = None, message.key
        else:
            parent, newest_child[message.parent] = ids[message.parent], message.key
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
    head = ids.get(conv.head) if conv.head is not None else None
    if head is None and last_root is not None:  # the newest leaf below the newest root
        key = last_root
        while key in newest_child:
            key = newest_child[key]
        head = ids[key]
    row = (cid, conv.title, conv.created_at, conv.updated_at, head)
    return Prepared(conv.source_id, conv.title, row, rows)


def _known(conn: sqlite3.Connection, source_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM import_sources WHERE source_id = ?", (source_id,))
    return row.fetchone() is not None


@contextmanager
def _staging(conn: sqlite3.Connection) -> Iterator[None]:
    """Staging tables in memory, and the statement journals too (`temp_store`), for a batch.

    Only while a batch is written: a large delete's statement journal (every page it
    changes) must be free to go to a file. Setting `temp_store` drops every temp table."""
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")
    try:
        for statement in _STAGING:
            conn.execute(statement)
        yield
    finally:
        conn.execute("PRAGMA temp_store = DEFAULT")
        conn.execute(f"PRAGMA cache_size = {int(cache)}")


def _store_all(store: Store, batch: Sequence[Prepared], import_id: str) -> list[Stored]:
    results: list[Stored] = []
    conn = store.connection
    with _staging(conn), store.transaction():
        sources: set[str] = set()
        conversations, messages = [], []
        for conv in batch:
            if conv.source_id in sources or _known(conn, conv.source_id):
                results.append(Stored(conv.title, skipped=ALREADY_IMPORTED))
                continue
            sources.add(conv.source_id)
            conversations.append((conv.source_id, *conv.conversation))
            messages += conv.messages
            results.append(Stored(conv.title, messages=len(conv.messages)))
        conn.executemany(
            f"INSERT INTO temp.import_conversations (source_id, {_CONVERSATION_COLUMNS})"
            " VALUES (?,?,?,?,?,?)",
            conversations,
        )
        conn.executemany(
            f"INSERT INTO temp.import_messages ({_MESSAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
            messages,
        )
        # `import_pending` first: the triggers on `messages` look there.
        conn.execute(
            f"INSERT INTO conversations ({_CONVERSATION_COLUMNS})"
            f" SELECT {_CONVERSATION_COLUMNS} FROM temp.import_conversations ORDER BY n"
        )
        conn.execute(
            "INSERT INTO import_pending (conversation_id, import_id)"
            " SELECT id, ? FROM temp.import_conversations ORDER BY n",
            (import_id,),
        )
        conn.execute(
            "INSERT INTO import_sources (source_id, conversation_id)"
            " SELECT source_id, id FROM temp.import_conversations ORDER BY n"
        )
        conn.execute(
            f"INSERT INTO messages ({_MESSAGE_COLUMNS}, status)"
            f" SELECT {_MESSAGE_COLUMNS}, 'complete' FROM temp.import_messages ORDER BY n"
        )
    return results


def import_conversations(
    store: Store, batch: Sequence[ImportedConversation | Prepared], import_id: str
) -> list[Stored]:
    """Store a batch of conversations (hidden until `commit_import`), each whole or not at all.

    One transaction for the batch, without a savepoint per conversation: FTS5 writes its
    pending index data out at every savepoint, which made an import about 8 times slower.
    Should the database refuse something (it should not: the converters check everything),
    the batch is rolled back and stored again one transaction per conversation, the
    refused ones skipped.
    """
    prepared = [c if isinstance(c, Prepared) else prepare(c) for c in batch]
    try:
        return _store_all(store, prepared, import_id)
    except sqlite3.Error as exc:
        logger.warning("An import batch was refused (%s); storing it one by one", exc)
    results: list[Stored] = []
    for conv in prepared:
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
