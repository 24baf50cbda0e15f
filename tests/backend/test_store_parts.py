"""Replies stored as parts with stats (PROTOCOL.md section 8), and the migration that adds them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.migrations import MIGRATIONS, REPLY_PARTS, SCHEMA_VERSION, Migration, PythonMigration
from backend.records import Part, Stats
from backend.store import Store

THOUGHT = (Part("reasoning", "plan"), Part("text", "Answer"))


def old_database(path: Path, steps: tuple[Migration, ...]) -> None:
    """A database made by an app that knew only `steps`."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for version, step in enumerate(steps, 1):
            if isinstance(step, PythonMigration):
                step.run(conn)
            else:
                conn.executescript(f"BEGIN;\n{step}\nCOMMIT;")
            conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "chat.sqlite3")
    yield store
    store.close()


def test_a_database_from_before_parts_is_migrated_and_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    before = MIGRATIONS[: MIGRATIONS.index(REPLY_PARTS)]
    old_database(path, before)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO conversations VALUES ('c1', 'Old', '2025-01-01Z', '2025-01-01Z')")
    conn.execute(
        "INSERT INTO messages (id, conversation_id, seq, role, content, status, created_at)"
        " VALUES ('u1', 'c1', 1, 'user', 'Hi', 'complete', '2025-01-01Z'),"
        " ('a1', 'c1', 2, 'assistant', 'Hello', 'complete', '2025-01-01Z')"
    )
    conn.close()

    store = Store.open(path)
    try:
        user, reply = store.list_messages("c1")
        assert (user.all_parts, user.reasoning, user.stats) == ((Part("text", "Hi"),), "", None)
        assert (reply.content, reply.all_parts, reply.reasoning) == (
            "Hello",
            (Part("text", "Hello"),),
            "",
        )
        assert reply.stats == Stats()
        assert store.save_parts("a1", THOUGHT)  # the new columns are there
    finally:
        store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_parts_are_merged_and_content_is_the_text_alone(store: Store) -> None:
    conv = store.create_conversation("t")
    _, reply = store.add_turn(conv.id, "q", "r1", "echo", "echo")
    assert reply.all_parts == () and reply.stats == Stats()
    pieces = [Part("reasoning", "pl"), Part("reasoning", "an"), Part("text", ""), *THOUGHT[1:]]
    assert store.save_parts("r1", pieces, first_token_ms=12)
    saved = store.get_message("r1")
    assert saved is not None
    assert (saved.content, saved.reasoning, saved.all_parts) == ("Answer", "plan", THOUGHT)
    assert saved.status == "streaming" and saved.stats == Stats(first_token_ms=12)

    stats = Stats(12, 340, 7, 9)
    done = store.finish_parts("r1", [*THOUGHT, Part("reasoning", "more")], "complete", None, stats)
    assert done is not None
    assert done.all_parts == (*THOUGHT, Part("reasoning", "more"))
    assert (done.content, done.reasoning, done.stats) == ("Answer", "planmore", stats)


def test_a_reply_without_reasoning_is_stored_as_before(store: Store, tmp_path: Path) -> None:
    conv = store.create_conversation("t")
    store.add_turn(conv.id, "q", "r1")
    store.finish_parts("r1", [Part("text", "Just "), Part("text", "text")], "complete")
    conn = sqlite3.connect(tmp_path / "chat.sqlite3")
    row = conn.execute("SELECT content, parts FROM messages WHERE id = 'r1'").fetchone()
    conn.close()
    assert row == ("Just text", None)


def test_an_interrupted_reply_keeps_its_reasoning(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    store = Store.open(path)
    conv = store.create_conversation("t")
    store.add_turn(conv.id, "q", "r1")
    store.save_parts("r1", [Part("reasoning", "only thinking so far")], first_token_ms=5)
    store.close()  # the process died here

    again = Store.open(path)
    try:
        assert again.mark_streaming_interrupted() == 1
        reply = again.get_message("r1")
        assert reply is not None and reply.status == "interrupted"
        assert (reply.content, reply.reasoning) == ("", "only thinking so far")
        assert reply.stats == Stats(first_token_ms=5)
    finally:
        again.close()
