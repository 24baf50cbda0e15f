"""The tree migration on a database made by the schema before it (PROTOCOL.md section 7)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from backend.migrations import MIGRATIONS, TREE_MIGRATION, PythonMigration
from backend.store import Store

BEFORE_TREE = MIGRATIONS[: MIGRATIONS.index(TREE_MIGRATION)]


def _old_database(path: Path) -> None:
    """A database file as the steps before the tree made it, with two conversations."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for version, step in enumerate(BEFORE_TREE, start=1):
            if isinstance(step, PythonMigration):
                step.run(conn)
            else:
                conn.executescript(f"BEGIN;\n{step}\nCOMMIT;")
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("INSERT INTO conversations VALUES ('c1', 'Old one', 't0', 't9')")
        conn.execute("INSERT INTO conversations VALUES ('c2', 'Empty', 't0', 't0')")
        rows = [  # inserted out of seq order: the path follows seq, not insertion
            ("m3", 3, "user", "third words"),
            ("m1", 1, "user", "first words"),
            ("m2", 2, "assistant", "second words"),
            ("m4", 4, "assistant", "fourth 数据库系统"),
        ]
        for mid, seq, role, content in rows:
            conn.execute(
                "INSERT INTO messages (id, conversation_id, seq, role, content, status,"
                " created_at) VALUES (?, 'c1', ?, ?, ?, 'complete', ?)",
                (mid, seq, role, content, f"t{seq}"),
            )
    finally:
        conn.close()


def test_an_old_history_becomes_one_path_in_its_old_order(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite3"
    _old_database(db)
    store = Store.open(db)
    try:
        conv = store.get_conversation("c1")
        assert conv is not None and conv.head_id == "m4"
        path = store.list_messages("c1")
        assert [m.id for m in path] == ["m1", "m2", "m3", "m4"]
        assert [m.parent_id for m in path] == [None, "m1", "m2", "m3"]
        assert all(m.siblings == (m.id,) for m in path)
        assert [m.id for m in store.list_tree("c1")] == ["m1", "m2", "m3", "m4"]
        empty = store.get_conversation("c2")
        assert empty is not None and empty.head_id is None and store.list_messages("c2") == []
        # the search index was built for the existing messages and titles
        found = store.connection.execute(
            "SELECT m.id FROM messages_fts JOIN messages m ON m.num = messages_fts.rowid"
            " WHERE messages_fts MATCH '\"数据库\"'"
        ).fetchall()
        assert [r[0] for r in found] == ["m4"]
        titles = store.connection.execute(
            "SELECT title FROM titles_fts WHERE titles_fts MATCH '\"old\"'"
        ).fetchall()
        assert [r[0].rstrip("\x01") for r in titles] == ["Old one"]  # (the index adds two)
        # and the history goes on below the old head
        user, reply = store.add_turn("c1", "fifth", "r5")
        assert user.parent_id == "m4" and reply.parent_id == user.id
    finally:
        store.close()


def test_message_keys_survive_vacuum(tmp_path: Path) -> None:
    """The search index refers to `messages.num`, an INTEGER PRIMARY KEY: VACUUM keeps it."""
    store = Store.open(tmp_path / "chat.sqlite3")
    try:
        conv = store.create_conversation("t")
        for i in range(5):
            store.add_turn(conv.id, f"word{i} alpha", f"r{i}")
        store.delete_message(store.list_tree(conv.id)[2].id)  # leave a hole in the keys
        before = store.connection.execute("SELECT id, num FROM messages ORDER BY id").fetchall()
        store.connection.execute("VACUUM")
        after = store.connection.execute("SELECT id, num FROM messages ORDER BY id").fetchall()
        assert [tuple(r) for r in before] == [tuple(r) for r in after]
        hits = store.connection.execute(
            "SELECT m.content FROM messages_fts JOIN messages m ON m.num = messages_fts.rowid"
            " WHERE messages_fts MATCH '\"word0\"'"
        ).fetchall()
        assert [r[0] for r in hits] == ["word0 alpha"]
    finally:
        store.close()
