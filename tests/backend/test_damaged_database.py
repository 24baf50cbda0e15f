"""A damaged database is found at start-up and never written into (issue 11, item 6).

Before: with random bytes over page 40 or the last page the server started, listing
conversations gave 500, and new conversations were written into the damaged file. Now
`PRAGMA quick_check` runs at start-up (on a thread of its own; writes wait for it); on damage
the file is copied aside unchanged (`chat.sqlite3.damaged-<time>`), what can still be read
is recovered into a fresh file in its place, and the server says so.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.recovery import quick_check
from tests.support.backend_helpers import Api
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS = 30
PAGE = 4096


def _history(data: Path) -> dict[str, list[str]]:
    """A history of 30 conversations with a few replies each (about 100 pages)."""
    texts: dict[str, list[str]] = {}
    with EmbeddedServer(Settings(data_dir=data, echo_delay=0)) as server:
        api = Api(server.base_url, server.token)
        for n in range(CONVERSATIONS):
            cid = api.conversation(f"conversation {n}")["id"]
            said = [f"message {n}.{i} " + "words " * 300 for i in range(2)]
            for text in said:
                assert api.events(api.send(cid, text)["reply"]["id"])[-1].type == "end"
            texts[cid] = said
    return texts


def _damage(db: Path, page: int | None) -> bytes:
    """Random bytes over one whole page (numbered from 1; None: the last); the file after."""
    size = db.stat().st_size
    pages = size // PAGE
    number = pages if page is None else page
    assert pages >= 40 and number <= pages, pages
    with open(db, "r+b") as handle:
        handle.seek((number - 1) * PAGE)
        handle.write(random.Random(number).randbytes(PAGE))
    assert quick_check(db), "the damage went unnoticed by quick_check"
    return db.read_bytes()


def _notice(server: EmbeddedServer) -> str:
    return wait_until(lambda: server.notice(timeout=0.1), timeout=10, what="the notice")


@pytest.mark.parametrize("page", [40, None], ids=["page-40", "last-page"])
def test_a_damaged_database_is_kept_aside_and_what_is_readable_recovered(
    tmp_path: Path, page: int | None
) -> None:
    data = tmp_path / "data"
    texts = _history(data)
    db = data / "chat.sqlite3"
    damaged = _damage(db, page)

    with EmbeddedServer(Settings(data_dir=data, echo_delay=0)) as server:
        api = Api(server.base_url, server.token)
        notice = _notice(server)
        copies = sorted(data.glob("chat.sqlite3.damaged-*"))
        assert [c.name for c in copies if not c.name.endswith("-wal")] == [copies[0].name]
        assert copies[0].read_bytes() == damaged  # kept exactly as it was found
        assert str(copies[0]) in notice and "damaged" in notice and "recovered" in notice

        listed = api.get("/api/conversations")
        assert listed.status_code == 200
        recovered = {c["id"] for c in listed.json()}
        assert len(recovered) >= CONVERSATIONS - 3, len(recovered)  # one page lost, not all
        for cid in recovered & set(texts):
            detail = api.get(f"/api/conversations/{cid}")
            assert detail.status_code == 200
            contents = [m["content"] for m in detail.json()["messages"]]
            assert set(contents) <= set(texts[cid])  # nothing invented
        new = api.conversation("after the damage")["id"]
        assert api.events(api.send(new, "still works")["reply"]["id"])[-1].type == "end"
    assert copies[0].read_bytes() == damaged  # never written, also not at shutdown
    assert quick_check(db) == []  # the file in use is sound
    conn = sqlite3.connect(db)
    try:
        titles = {row[0] for row in conn.execute("SELECT title FROM conversations")}
    finally:
        conn.close()
    assert "after the damage" in titles


def test_serve_says_plainly_that_the_history_was_damaged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _history(data)
    _damage(data / "chat.sqlite3", 40)
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "--port", "0", "--data-dir", str(data),
         "--log-level", "critical"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        lines.extend(process.stderr)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        said = wait_until(
            lambda: next((line for line in lines if "damaged" in line), None),
            timeout=20,
            what="serve to say the history was damaged",
        )
    finally:
        process.terminate()
        process.wait(15)
        reader.join(5)
    assert said.startswith("sse-chat serve: The chat history file was damaged"), said
    assert ".damaged-" in said and "recovered" in said


def test_a_file_that_is_not_a_database_is_still_refused_and_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "chat.sqlite3"
    db.write_bytes(b"this is a text file, not SQLite\n" * 200)
    before = db.read_bytes()
    server = EmbeddedServer(Settings(data_dir=data))
    with pytest.raises(RuntimeError, match="not a database"):
        server.start(timeout=10)
    assert db.read_bytes() == before
    assert not list(data.glob("chat.sqlite3.damaged-*"))


def test_health_answers_while_the_check_runs(tmp_path: Path) -> None:
    """The check does not hold up start-up: the server answers at once (writes wait)."""
    data = tmp_path / "data"
    _history(data)
    with EmbeddedServer(Settings(data_dir=data)) as server:
        assert requests.get(f"{server.base_url}/api/health", timeout=5).ok
        assert server.notice(timeout=10) is None  # a sound file: nothing to say
