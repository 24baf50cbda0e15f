"""A damaged chat history, seen from the window (issue 11, item 6): the backend keeps the
file aside and recovers what it can; the window says so plainly in its banner, and works."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.recovery import quick_check
from desktop.views.main_window import MainWindow
from tests.support.http_client import TokenApi
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def _damaged_history(data: Path) -> None:
    with EmbeddedServer(Settings(data_dir=data, echo_delay=0)) as server:
        api = TokenApi(server.base_url, server.token)
        for n in range(20):
            cid = api.post("/api/conversations", json={"title": f"c{n}"}).json()["id"]
            api.send(cid, f"message {n} " + "words " * 400)
    db = data / "chat.sqlite3"
    with open(db, "r+b") as handle:
        handle.seek(20 * 4096)  # page 21: the middle of the messages
        handle.write(random.Random(21).randbytes(4096))
    assert quick_check(db)


def test_the_window_says_the_history_was_damaged_and_recovered(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _damaged_history(data)
    window = make_window(data_dir=data)
    qtbot.waitUntil(lambda: window.banner.isVisibleTo(window), timeout=WAIT_MS)
    text = window.banner.text()
    assert "The chat history file was damaged" in text and ".damaged-" in text, text
    assert "recovered" in text
    assert list(data.glob("chat.sqlite3.damaged-*"))
    qtbot.waitUntil(lambda: window.controller.conversations.rowCount() > 0, timeout=WAIT_MS)
    d = driver(window)
    d.send("still works")
    d.wait_reply_done()
    assert d.last_reply().content == "still works"
