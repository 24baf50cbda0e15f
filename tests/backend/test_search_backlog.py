"""Imported messages are indexed for search after the import (`backend.search_backlog`):
found at once (the backlog is scanned), found after indexing, and nothing lost by a crash
in the middle of an indexing batch."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from backend import search_backlog
from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.import_formats import ImportedConversation, from_own
from backend.search import search
from backend.search_backlog import backlog_size, index_backlog, tidy_index
from backend.store import Store
from backend.store_import import commit_import, discard_import, import_conversations
from tests.support.backend_helpers import Api
from tests.support.store_checks import read_db, store_problems
from tests.support.waiting import wait_until

#: Words only the imported messages hold: a long term, a non-ASCII one in another case,
#: a two-character CJK term, a phrase.
TEXTS = ["zorbulax one", "Über die ÉCOLE", "分布式数据库", "the quiet harbour"]
QUERIES = {"zorbulax": 0, "école": 1, "über": 1, "数据": 2, "数据库": 2, '"quiet harbour"': 3}


def _conversations(count: int) -> list[ImportedConversation]:
    convs = []
    for i in range(count):
        messages = [{"id": f"{i}-{j}", "role": "user" if j % 2 == 0 else "assistant",
                     "content": f"{text} {i}", "parent_id": f"{i}-{j - 1}" if j else None}
                    for j, text in enumerate(TEXTS)]  # fmt: skip
        convs.append(
            from_own({"id": f"src-{i}", "title": f"Chat {i}", "messages": messages}, "now")
        )
    return convs


def _found(store: Store, query: str) -> set[str]:
    return {h.snippet for h in search(store, query, 200) if h.message_id is not None}


def _fts_check(store: Store) -> None:
    store.connection.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")


def test_imported_messages_are_found_before_and_after_indexing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "chat.sqlite3")
    try:
        store.create_conversation("Typed")  # a message written outside an import is indexed
        import_conversations(store, _conversations(3), "imp1")
        commit_import(store, "imp1")
        assert backlog_size(store) == 3 * len(TEXTS)  # not indexed yet
        for query, which in QUERIES.items():
            expected = {f"{TEXTS[which]} {i}" for i in range(3)}
            assert _found(store, query) == expected, query
        assert index_backlog(store, rows=5) == 3 * len(TEXTS) - 5  # part indexed, part not
        for query, which in QUERIES.items():
            assert _found(store, query) == {f"{TEXTS[which]} {i}" for i in range(3)}, query
        while index_backlog(store, rows=5):
            pass
        assert backlog_size(store) == 0
        for query, which in QUERIES.items():
            assert _found(store, query) == {f"{TEXTS[which]} {i}" for i in range(3)}, query
        _fts_check(store)
        steps = 0
        while tidy_index(store, pages=1):  # the batches' segments merged into one
            steps += 1
        assert 0 < steps < 100
        assert not tidy_index(store)
        for query, which in QUERIES.items():
            assert _found(store, query) == {f"{TEXTS[which]} {i}" for i in range(3)}, query
        _fts_check(store)
    finally:
        store.close()


def test_deleting_unindexed_messages_keeps_the_index_whole(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "chat.sqlite3")
    try:
        import_conversations(store, _conversations(2), "imp1")
        index_backlog(store, rows=2)  # the first conversation half indexed
        assert discard_import(store, "imp1") == 2
        assert backlog_size(store) == 0
        _fts_check(store)
        assert _found(store, "zorbulax") == set()
    finally:
        store.close()


_CRASH = """
import os, sys
from pathlib import Path
from backend.search_backlog import index_backlog
from backend.store import Store
store = Store.open(Path(sys.argv[1]))
index_backlog(store, rows=3)  # committed
def die(sql):
    if sql.startswith("DELETE FROM search_backlog"):
        os._exit(9)  # the process dies inside the next batch's transaction
store.connection.set_trace_callback(die)
index_backlog(store, rows=3)
"""


def test_a_crash_while_indexing_loses_nothing_from_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(search_backlog, "TIDY_AFTER_ROWS", 1)  # merge even after 13 rows
    caplog.set_level(logging.INFO, logger="backend.search_backlog")
    settings = Settings(data_dir=tmp_path / "data")
    db = settings.db_path
    db.parent.mkdir(mode=0o700)
    store = Store.open(db)
    import_conversations(store, _conversations(4), "imp1")
    commit_import(store, "imp1")
    store.close()
    crash = subprocess.run([sys.executable, "-c", _CRASH, str(db)], check=False)
    assert crash.returncode == 9
    with read_db(db) as conn:  # the first batch was kept, the second rolled back
        assert conn.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0] == 13
    server = EmbeddedServer(settings)
    server.start(timeout=10)
    try:
        api = Api(server.base_url, server.token)

        def snippets(query: str) -> set[str]:
            r = api.get("/api/search", params={"q": query, "limit": 200})
            assert r.status_code == 200, r.text
            return {h["snippet"] for h in r.json() if h["message_id"] is not None}

        expected = {f"zorbulax one {i}" for i in range(4)}
        assert snippets("zorbulax") == expected  # the start-up indexes the rest meanwhile

        def indexed() -> bool:
            with read_db(db) as conn:
                return conn.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0] == 0

        wait_until(indexed, timeout=20, what="the backlog indexed")
        wait_until(lambda: "Merged the search index" in caplog.text, timeout=20, what="merged")
        assert snippets("zorbulax") == expected
        assert snippets('"quiet harbour"') == {f"the quiet harbour {i}" for i in range(4)}
    finally:
        server.stop(timeout=5)
    assert store_problems(db) == []
    store = Store.open(db)
    try:
        _fts_check(store)
    finally:
        store.close()


def test_an_import_over_http_is_found_at_once_and_then_indexed(
    api: Api, settings: Settings
) -> None:
    doc = {"format": "sse-chat", "version": 1, "exported_at": "now", "conversations": [
        {"id": "s1", "title": "Old chat", "messages": [
            {"id": "a", "role": "user", "content": "where is the zorbulax"}]}]}  # fmt: skip
    r = api.post("/api/import", data=json.dumps(doc))
    assert r.status_code == 200, r.text
    hits = api.get("/api/search", params={"q": "ZORBULAX"}).json()
    assert [(h["snippet"], h["highlights"]) for h in hits] == [
        ("where is the zorbulax", [[13, 21]])
    ]

    def indexed() -> bool:
        with read_db(settings.db_path) as conn:
            return conn.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0] == 0

    wait_until(indexed, timeout=20, what="the backlog indexed")
    with read_db(settings.db_path) as conn:
        assert (
            conn.execute(
                "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '\"zorbulax\"'"
            ).fetchone()[0]
            == 1
        )
    hits = api.get("/api/search", params={"q": "ZORBULAX"}).json()
    assert [(h["snippet"], h["highlights"]) for h in hits] == [
        ("where is the zorbulax", [[13, 21]])
    ]
