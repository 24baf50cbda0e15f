"""The store's side of an import (PROTOCOL.md section 10), run on the store thread.

Each batch is one transaction (so a conversation is stored whole or not at all). The
conversations of an import stay in `import_pending` (hidden from every listing) until
`commit_import`; `discard_import` removes them again (a
failed import changes nothing), and so does start-up after a crash
(`Store.discard_unfinished_imports`). A source id already in `import_sources` (imported
before, or earlier in the same file) is skipped.

A batch's rows are made beforehand (`prepare`, on the event loop while the previous batch is
written) and go in with a few `INSERT ... VALUES (...), (...), ...` of thousands of rows, not
one statement per row, for two reasons. Each statement on `messages` (it has triggers, one of
them on the full-text index) keeps a statement journal of every page it changes and opens a
savepoint in the index: one statement per row wrote each touched index page out again for
every message (688,000 writes for 2,000 conversations; 73,000 now). And `sqlite3` lets go of
the GIL around every statement: the store thread, taking it back after each row while the
loop parses the next batch, waited up to the 5 ms switch interval each time (15,000 rows
took 7.5 s against 0.07 s), so storing only moved on while parsing waited.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

from backend.import_formats import ImportedConversation
from backend.records import Part, merged, new_id, parts_json
from backend.store import Store

logger = logging.getLogger(__name__)

ALREADY_IMPORTED = "already imported"
#: The page cache an import works with (KiB; SQLite's default is 2 MiB): the indexes'
#: pages a batch touches stay in memory rather than being read again for every batch.
IMPORT_CACHE_KIB = 32 * 1024

_CONVERSATION_COLUMNS = "id, title, created_at, updated_at, head_id"
_MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, seq, role, content, status, created_at, parts, children"
)
#: Rows per `INSERT`, and source ids per look-up (fewer if SQLite allows fewer variables).
STATEMENT_ROWS = 1024
KNOWN_PER_STATEMENT = 512
_VARIABLES = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER


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
            (mid, cid, parent, seq, message.role, message.content, "complete", message.created_at,
             parts, children[message.key])
        )  # fmt: skip
    head = ids.get(conv.head) if conv.head is not None else None
    if head is None and last_root is not None:  # the newest leaf below the newest root
        key = last_root
        while key in newest_child:
            key = newest_child[key]
        head = ids[key]
    row = (cid, conv.title, conv.created_at, conv.updated_at, head)
    return Prepared(conv.source_id, conv.title, row, rows)


def _rows_per_statement(conn: sqlite3.Connection, width: int, rows: int) -> int:
    return max(1, min(rows, conn.getlimit(_VARIABLES) // width))


def _chunks(rows: Sequence[Sequence[object]], width: int, step: int) -> Iterator[list[object]]:
    """The rows' values, `step` rows at a time, the last chunk padded with NULL rows."""
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        values = list(chain.from_iterable(chunk))
        values += [None] * (width * (step - len(chunk)))
        yield values


def _insert(conn: sqlite3.Connection, into: str, rows: Sequence[tuple[object, ...]]) -> None:
    """`rows` into `into` (a table and its columns), `STATEMENT_ROWS` rows per statement.

    Always one statement of the same text (a shorter chunk is padded with NULL rows, left
    out by the WHERE): the connection keeps each statement it compiled, a megabyte for one
    of a thousand rows."""
    if not rows:
        return
    width = len(rows[0])
    step = _rows_per_statement(conn, width, STATEMENT_ROWS)
    values = ",".join(["(" + ",".join("?" * width) + ")"] * step)
    sql = f"INSERT INTO {into} SELECT * FROM (VALUES {values}) WHERE column1 IS NOT NULL"
    for chunk in _chunks(rows, width, step):
        conn.execute(sql, chunk)


def _known(conn: sqlite3.Connection, source_ids: Sequence[str]) -> set[str]:
    """Which of `source_ids` were imported before."""
    step = _rows_per_statement(conn, 1, KNOWN_PER_STATEMENT)
    sql = f"SELECT source_id FROM import_sources WHERE source_id IN ({','.join('?' * step)})"
    known: set[str] = set()
    for chunk in _chunks([(s,) for s in source_ids], 1, step):
        known.update(row[0] for row in conn.execute(sql, chunk))
    return known


@contextmanager
def _batch_settings(conn: sqlite3.Connection) -> Iterator[None]:
    """A larger page cache, and statement journals in memory (`temp_store`), for a batch.

    Only while a batch is written: a large delete's statement journal (every page it
    changes) must be free to go to a file."""
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        conn.execute("PRAGMA temp_store = DEFAULT")
        conn.execute(f"PRAGMA cache_size = {int(cache)}")


def _store_all(store: Store, batch: Sequence[Prepared], import_id: str) -> list[Stored]:
    results: list[Stored] = []
    conn = store.connection
    with _batch_settings(conn), store.transaction():
        sources = _known(conn, [conv.source_id for conv in batch])  # (one query: see above)
        conversations, pending, imported, messages = [], [], [], []
        for conv in batch:
            if conv.source_id in sources:  # (also one earlier in this batch)
                results.append(Stored(conv.title, skipped=ALREADY_IMPORTED))
                continue
            sources.add(conv.source_id)
            cid = conv.conversation[0]
            conversations.append(conv.conversation)
            pending.append((cid, import_id))
            imported.append((conv.source_id, cid))
            messages += conv.messages
            results.append(Stored(conv.title, messages=len(conv.messages)))
        _insert(conn, f"conversations ({_CONVERSATION_COLUMNS})", conversations)
        # `import_pending` before the messages: the triggers on `messages` look there.
        _insert(conn, "import_pending (conversation_id, import_id)", pending)
        _insert(conn, "import_sources (source_id, conversation_id)", imported)
        _insert(conn, f"messages ({_MESSAGE_COLUMNS})", messages)
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
