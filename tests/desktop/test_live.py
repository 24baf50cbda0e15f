"""The window follows what another client does, from the change stream (GET /api/events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from pytestqt.qtbot import QtBot

from backend.embedded import EmbeddedServer
from desktop.views.main_window import MainWindow
from desktop.workers import LaunchConfig
from tests.support.tcp_proxy import ControlledProxy
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


class Curl:
    """A second client: plain HTTP, as curl would."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.base = server.base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.token}"

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(method, self.base + path, json=body, timeout=10)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None


def titles(window: MainWindow) -> list[str]:
    return [c.title for c in window.controller.conversations.conversations]


def test_changes_made_elsewhere_show_at_once(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    server: EmbeddedServer,
    qtbot: QtBot,
) -> None:
    curl = Curl(server)
    window = make_window(launch=LaunchConfig(connect_url=server.base_url, token=server.token))
    live = window.controller.live
    qtbot.waitUntil(lambda: live.events >= 1, timeout=WAIT_MS)  # `ready`
    d = driver(window)
    d.send("shown here")
    d.wait_reply_done()
    shown = window.controller.current_id

    made = curl("POST", "/api/conversations", {"title": "made by curl"})
    qtbot.waitUntil(lambda: "made by curl" in titles(window), timeout=WAIT_MS)
    curl("PATCH", f"/api/conversations/{made['id']}", {"title": "renamed by curl"})
    qtbot.waitUntil(lambda: "renamed by curl" in titles(window), timeout=WAIT_MS)
    assert "made by curl" not in titles(window)
    assert window.controller.current_id == shown  # nothing switched

    # a reply started elsewhere in the shown conversation is followed to its end
    text = "a turn started by another client"
    curl("POST", f"/api/conversations/{shown}/messages", {"content": text})
    qtbot.waitUntil(lambda: d.model.rowCount() == 4, timeout=WAIT_MS)
    assert d.model.messages[2].content == text
    assert window.controller.worker_for(d.model.messages[3].id) is not None or (
        d.model.messages[3].status == "complete"
    )
    d.wait_reply_done()
    assert d.last_reply().content == text
    qtbot.waitUntil(lambda: window.chat_view.widgets[-1].text == text, timeout=WAIT_MS)

    curl("DELETE", f"/api/conversations/{made['id']}")
    qtbot.waitUntil(lambda: "renamed by curl" not in titles(window), timeout=WAIT_MS)

    # an import elsewhere publishes `reset`: the list is loaded again
    doc = {
        "format": "sse-chat",
        "version": 1,
        "exported_at": "2026-01-01T00:00:00+00:00",
        "conversations": [
            {
                "id": "imported-1",
                "title": "imported by curl",
                "created_at": "2026-01-01T00:00:00+00:00",
                "updated_at": "2026-01-01T00:00:00+00:00",
                "messages": [],
            }
        ],
    }
    curl("POST", "/api/import", doc)
    qtbot.waitUntil(lambda: "imported by curl" in titles(window), timeout=WAIT_MS)

    # the shown conversation deleted elsewhere goes from the view
    curl("DELETE", f"/api/conversations/{shown}")
    qtbot.waitUntil(lambda: window.controller.current_id != shown, timeout=WAIT_MS)


def test_the_change_stream_resumes_where_it_dropped(
    make_window: WindowFactory,
    server: EmbeddedServer,
    proxy: ControlledProxy,
    qtbot: QtBot,
) -> None:
    curl = Curl(server)  # straight to the backend, past the proxy
    window = make_window(launch=LaunchConfig(connect_url=proxy.url, token=server.token))
    live = window.controller.live
    assert live.worker is not None
    qtbot.waitUntil(lambda: live.events >= 1, timeout=WAIT_MS)
    curl("POST", "/api/conversations", {"title": "before the drop"})
    qtbot.waitUntil(lambda: "before the drop" in titles(window), timeout=WAIT_MS)
    seen = live.worker.last_event_id
    assert seen

    proxy.close()  # the window cannot reach the backend ...
    curl("POST", "/api/conversations", {"title": "while cut off"})  # ... while this happens
    proxy.reopen()
    # the resumed subscription (Last-Event-ID) replays what was missed, without `reset`
    qtbot.waitUntil(lambda: "while cut off" in titles(window), timeout=WAIT_MS)
    assert live.worker.connections >= 2
    assert int(live.worker.last_event_id) > int(seen)
