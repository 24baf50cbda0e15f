"""Part 1: a proxy cuts the reply's stream again and again, at arbitrary bytes (inside events
and inside multi-byte characters); the desktop resumes each time and loses or doubles nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import build_window
from desktop.client import ChatClient
from desktop.prefs.ui import UiSettings
from desktop.records import Message
from desktop.workers import LaunchConfig, StreamWorker
from tests.support.robust_helpers import CuttingProxy, ServerFactory, cut_plan, long_text

CUTS = 24
WAIT_MS = 30_000


def _start_turn(base_url: str, token: str, text: str) -> tuple[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    conv = requests.post(f"{base_url}/api/conversations", json={}, headers=headers, timeout=10)
    cid = conv.json()["id"]
    turn = requests.post(
        f"{base_url}/api/conversations/{cid}/messages",
        json={"content": text},
        headers=headers,
        timeout=10,
    )
    assert turn.status_code == 202, turn.text
    return cid, str(turn.json()["reply"]["id"])


def _stored(base_url: str, token: str, cid: str) -> dict[str, Any]:
    r = requests.get(
        f"{base_url}/api/conversations/{cid}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return dict(r.json()["messages"][-1])


@pytest.mark.parametrize("framing", ["chunked", "close-delimited"])
def test_stream_worker_survives_cuts_anywhere(
    qtbot: QtBot, make_server: ServerFactory, figures: dict[str, Any], framing: str
) -> None:
    """`close-delimited`: as through an HTTP/1.0 proxy, the body has no chunk framing, so a
    cut inside a character leaves a partial UTF-8 line for the SSE parser (regression: the
    worker died with UnicodeDecodeError instead of resuming)."""
    # long enough that its event stream outlasts every planned cut (the server merges
    # the text of 20 ms into one event, so the stream has fewer bytes than the text's events)
    text = long_text(5000)
    server = make_server(echo_delay=0.001)
    proxy = CuttingProxy(
        server.port, cut_plan(CUTS, seed=11), close_delimited=framing == "close-delimited"
    )
    client = ChatClient(proxy.url, server.token)
    worker: StreamWorker | None = None
    try:
        cid, mid = _start_turn(server.base_url, server.token, text)
        worker = StreamWorker(client, mid, backoff=(0.005,) * 8)
        pieces: list[str] = []
        ended: list[Message] = []
        failures: list[str] = []
        resumes: list[int] = []
        worker.text_ready.connect(lambda _m, w=worker: pieces.append(w.take()))
        worker.ended.connect(lambda _m, msg: ended.append(msg))
        worker.failed.connect(lambda _m, reason: failures.append(reason))
        worker.reconnecting.connect(lambda _m, n: resumes.append(n))
        started = time.monotonic()
        with qtbot.waitSignal(worker.done, timeout=WAIT_MS):
            worker.start()
        elapsed = time.monotonic() - started
        assert worker.wait(5000)
        assert not failures, failures
        stored = _stored(server.base_url, server.token, cid)
        received = "".join(pieces) + worker.take()  # (any text not picked up yet)
        assert stored["status"] == "complete"
        assert stored["content"] == text
        assert received == text, _first_difference(received, text)
        assert ended and ended[0].content == text
        assert len(proxy.cuts) == CUTS, (len(proxy.cuts), proxy.event_connections)
        mid_char = sum(c.mid_char for c in proxy.cuts)
        mid_event = sum(c.mid_event for c in proxy.cuts)
        assert mid_char >= CUTS // 2 - 1, proxy.cuts
        assert mid_event >= CUTS // 2, proxy.cuts
        assert len(resumes) >= CUTS
        assert elapsed < 15, f"resuming made the stream slow: {elapsed:.1f} s"
        figures[f"cuts survived (StreamWorker, {framing})"] = (
            f"{len(proxy.cuts)} ({mid_char} inside a character, {mid_event} inside an event), "
            f"{len(text)}-char reply identical, {elapsed:.1f} s"
        )
    finally:
        if worker is not None:
            worker.stop()
            worker.wait(5000)
        client.close()
        proxy.close()


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"first difference at {i}: {a[i - 5 : i + 5]!r} vs {b[i - 5 : i + 5]!r}"
    return f"lengths {len(a)} vs {len(b)}"


def test_main_window_survives_cuts(
    qtbot: QtBot, make_server: ServerFactory, tmp_path: Path, figures: dict[str, Any]
) -> None:
    """The real window, connected (`--connect`) through the cutting proxy, shows the whole
    reply exactly once."""
    from PySide6.QtCore import QSettings

    text = long_text(3000, seed=3)
    server = make_server(echo_delay=0.002)
    cuts = 20
    proxy = CuttingProxy(server.port, cut_plan(cuts, seed=5))
    ui = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window = build_window(LaunchConfig(connect_url=proxy.url, token=server.token), ui)
    qtbot.addWidget(window)
    try:
        window.show()
        with qtbot.waitSignal(window.controller.ready_changed, timeout=WAIT_MS):
            window.start()
        model = window.controller.current_model
        window.composer.set_draft(text)
        window.composer.input.setFocus()
        qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.controller.current_model.rowCount() == 2, timeout=WAIT_MS)
        model = window.controller.current_model
        reply_id = model.messages[-1].id
        qtbot.waitUntil(
            lambda: (
                model.messages[-1].status != "streaming"
                and window.controller.worker_for(reply_id) is None
            ),
            timeout=WAIT_MS,
        )
        shown = model.messages[-1]
        stored = _stored(server.base_url, server.token, window.controller.current_id)
        assert stored["content"] == text
        assert shown.status == "complete", (shown.status, window.banner.text())
        assert shown.content == text, _first_difference(shown.content, text)
        assert window.chat_view.widgets[-1].text == text
        assert len(proxy.cuts) == cuts, (len(proxy.cuts), proxy.event_connections)
        figures["cuts survived (MainWindow)"] = (
            f"{len(proxy.cuts)} ({sum(c.mid_char for c in proxy.cuts)} inside a character)"
        )
    finally:
        window.close()
        proxy.close()
