"""Space is given back after large deletes (issue 11, item 4): the database uses
`auto_vacuum = INCREMENTAL` (a migration turns it on for existing files) and a delete that
frees many pages runs `PRAGMA incremental_vacuum`, so deleting a huge reply shrinks the file
(it stayed at 649 MB after a 400 MB reply was deleted)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from backend.migrations import AUTO_VACUUM, MIGRATIONS, PythonMigration
from backend.store import Store

BIG = "x" * 4_000_000


def _pragma(db: Path, name: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        conn.close()


def _old_database(db: Path) -> None:
    """A database as the versions before this step left it (whatever came before it)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        steps = MIGRATIONS[: MIGRATIONS.index(AUTO_VACUUM)]
        for version, step in enumerate(steps, start=1):
            if isinstance(step, PythonMigration):
                step.run(conn)
            else:
                conn.executescript(step)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at)"
            " VALUES ('c1', 'Kept', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')"
        )
    finally:
        conn.close()


def test_new_and_migrated_databases_vacuum_incrementally(tmp_path: Path) -> None:
    new = tmp_path / "new" / "chat.sqlite3"
    Store.open(new).close()
    assert _pragma(new, "auto_vacuum") == 2  # INCREMENTAL

    old = tmp_path / "old" / "chat.sqlite3"
    old.parent.mkdir()
    _old_database(old)
    assert _pragma(old, "auto_vacuum") == 0
    store = Store.open(old)
    try:
        assert [c.title for c in store.list_conversations()] == ["Kept"]
    finally:
        store.close()
    assert _pragma(old, "auto_vacuum") == 2


def _big_reply(store: Store, title: str) -> str:
    conv = store.create_conversation(title)
    _, reply = store.add_turn(conv.id, "hi", f"r-{title}")
    store.finish_reply(reply.id, BIG, "complete")
    return conv.id


def test_deleting_a_huge_reply_gives_the_space_back(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite3"
    store = Store.open(db)
    try:
        kept = store.create_conversation("small").id
        big = _big_reply(store, "big")
        assert _pragma(db, "page_count") * _pragma(db, "page_size") > len(BIG)
        store.delete_conversation(big)
        assert _pragma(db, "freelist_count") == 0
        assert _pragma(db, "page_count") * _pragma(db, "page_size") < 200_000
        # Deleting a message (and what is below it) gives its space back too.
        conv = _big_reply(store, "again")
        user = store.list_messages(conv)[0]
        store.delete_message(user.id)
        assert _pragma(db, "freelist_count") == 0
        assert _pragma(db, "page_count") * _pragma(db, "page_size") < 200_000
        assert store.get_conversation(kept) is not None
    finally:
        store.close()
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size < 8_000_000
