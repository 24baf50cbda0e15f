"""The synchronous Store on its own: schema, WAL, start-up recovery, persistence."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.datalock import AlreadyInUse
from backend.migrations import SCHEMA_VERSION
from backend.store import NotFoundError, Store, WrongRoleError


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "chat.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    store = Store.open(db)
    yield store
    store.close()


def test_migrates_an_empty_database_and_uses_wal(store: Store, db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"conversations", "messages"} <= tables
        columns = {r[1] for r in conn.execute("PRAGMA table_info(messages)")}
        assert {"provider", "model", "seq", "status"} <= columns
    finally:
        conn.close()


def test_reopening_keeps_data_and_version(store: Store, db: Path) -> None:
    conv = store.create_conversation("Kept")
    store.close()
    again = Store.open(db)
    try:
        assert again.list_conversations() == [conv]
    finally:
        again.close()


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        Store.open(path)


def test_streaming_replies_become_interrupted_at_start_up(store: Store, db: Path) -> None:
    conv = store.create_conversation("t")
    user, reply = store.add_turn(conv.id, "hello", "r1", "echo", "echo")
    store.save_content(reply.id, "hel")
    store.close()
    again = Store.open(db)
    try:
        assert again.mark_streaming_interrupted() == 1
        stored = again.get_message("r1")
        assert stored is not None
        assert (stored.status, stored.content, stored.provider) == ("interrupted", "hel", "echo")
        assert again.mark_streaming_interrupted() == 0
    finally:
        again.close()


def test_turns_order_and_updated_at(store: Store) -> None:
    first = store.create_conversation("first")
    second = store.create_conversation("second")
    assert [c.id for c in store.list_conversations()] == [second.id, first.id]
    user, reply = store.add_turn(first.id, "hi", "r1")
    assert [c.id for c in store.list_conversations()] == [first.id, second.id]
    assert (user.role, user.status, reply.role, reply.status) == (
        "user",
        "complete",
        "assistant",
        "streaming",
    )
    done = store.finish_reply("r1", "hi", "complete")
    assert done is not None and done.content == "hi" and done.status == "complete"
    assert [m.id for m in store.list_messages(first.id)] == [user.id, "r1"]
    renamed = store.rename_conversation(second.id, "renamed")
    assert renamed.title == "renamed" and renamed.updated_at > second.updated_at
    assert store.list_conversations()[0].id == second.id


def test_edit_and_regenerate_add_branches(store: Store) -> None:
    conv = store.create_conversation("t")
    u1, _ = store.add_turn(conv.id, "one", "r1")
    u2, _ = store.add_turn(conv.id, "two", "r2")
    parent, new = store.add_regeneration("r1", "r3")  # any reply, not only the last
    assert parent.id == u1.id and new.parent_id == u1.id and new.siblings == ("r1", "r3")
    assert [m.id for m in store.list_messages(conv.id)] == [u1.id, "r3"]
    user, reply = store.add_edit(u1.id, "uno", "r4")
    assert user.content == "uno" and user.id != u1.id and user.siblings == (u1.id, user.id)
    assert [m.id for m in store.list_messages(conv.id)] == [user.id, "r4"]
    assert len(store.list_tree(conv.id)) == 7  # nothing was deleted
    with pytest.raises(WrongRoleError):
        store.add_edit("r4", "x", "r5")  # not a user message
    with pytest.raises(WrongRoleError):
        store.add_regeneration(u2.id, "r5")  # not a reply
    with pytest.raises(NotFoundError):
        store.add_regeneration("nope", "r5")


def test_unknown_ids(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.add_turn("nope", "hi", "r1")
    with pytest.raises(NotFoundError):
        store.rename_conversation("nope", "t")
    assert store.get_message("nope") is None
    assert store.finish_reply("nope", "x", "complete") is None
    assert not store.delete_conversation("nope")


def test_deleting_a_conversation_deletes_its_messages(store: Store) -> None:
    conv = store.create_conversation("t")
    store.add_turn(conv.id, "hi", "r1")
    assert store.delete_conversation(conv.id)
    assert store.get_message("r1") is None
    assert store.list_messages(conv.id) == []


def test_one_store_per_database(store: Store, db: Path) -> None:
    with pytest.raises(AlreadyInUse):
        Store.open(db)
    store.close()
    Store.open(db).close()
