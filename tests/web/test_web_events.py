"""`GET /api/events`, the global change stream (docs/API-EXTENSIONS.md), over real HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import requests

from backend.changes import ChangeFeed
from backend.config import Settings
from backend.embedded import EmbeddedServer
from tests.support.web_helpers import ChangeReader


def kinds(events: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [event for event, _, _ in events]


def test_a_fresh_subscriber_gets_ready_then_every_change(server: EmbeddedServer, api: Any) -> None:
    reader = ChangeReader(server.base_url, server.token)
    try:
        event, ready_id, data = reader.next()
        assert (event, data) == ("ready", {})
        assert ready_id.isdigit()
        conv = api.post("/api/conversations", json={"title": "Live"}).json()
        event, first_id, data = reader.next()
        assert event == "conversation.created"
        assert data["conversation"] == conv
        assert int(first_id) == int(ready_id) + 1

        turn = api.send(conv["id"], "hello")
        seen = list(reader.until("message.updated"))
        assert kinds(seen) == [
            "conversation.updated",
            "message.created",
            "message.created",
            "message.updated",
        ]
        assert seen[0][2]["conversation"]["id"] == conv["id"]
        user, reply = seen[1][2], seen[2][2]
        assert user["message"] == turn["message"]
        assert "events_url" not in user
        assert reply["message"]["id"] == turn["reply"]["id"]
        assert reply["message"]["status"] == "streaming"
        assert reply["events_url"] == turn["events_url"]
        ended = seen[3][2]["message"]
        assert (ended["id"], ended["status"], ended["content"]) == (
            turn["reply"]["id"],
            "complete",
            "hello",
        )
        ids = [int(event_id) for _, event_id, _ in seen]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)

        assert api.patch(f"/api/conversations/{conv['id']}", json={"title": "Renamed"}).ok
        event, _, data = reader.next()
        assert (event, data["conversation"]["title"]) == ("conversation.updated", "Renamed")
        assert api.delete(f"/api/conversations/{conv['id']}").status_code == 204
        event, _, data = reader.next()
        assert (event, data) == ("conversation.deleted", {"conversation_id": conv["id"]})
    finally:
        reader.close()


def test_regenerate_and_edit_announce_what_changed(server: EmbeddedServer, api: Any) -> None:
    conv = api.post("/api/conversations", json={}).json()
    turn = api.send(conv["id"], "one")
    # the first reply may still stream: read its stream to the end before subscribing
    assert "event: end" in api.get(f"/api/messages/{turn['reply']['id']}/events").text
    reader = ChangeReader(server.base_url, server.token)
    try:
        assert reader.next()[0] == "ready"
        regen = api.post(f"/api/messages/{turn['reply']['id']}/regenerate")
        assert regen.status_code == 202
        seen = [e for e in reader.until("message.updated") if e[0] != "message.updated"]
        # the user message did not change: only the conversation and the new reply
        assert kinds(seen) == ["conversation.updated", "message.created"]
        assert seen[1][2]["message"]["id"] == regen.json()["reply"]["id"]

        user_id = regen.json()["message"]["id"]
        edit = api.patch(f"/api/messages/{user_id}", json={"content": "two"})
        assert edit.status_code == 202
        seen = [reader.next() for _ in range(4)]
        edited = edit.json()["message"]
        # in place (one path) it is updated; beside it (branches, PROTOCOL.md section 7) created
        kind = "message.updated" if edited["id"] == user_id else "message.created"
        assert kinds(seen) == ["conversation.updated", kind, "message.created", "message.updated"]
        assert seen[1][2]["message"]["content"] == "two"
        assert seen[3][2]["message"]["id"] == edit.json()["reply"]["id"]
    finally:
        reader.close()


def test_a_subscriber_that_was_away_gets_what_it_missed(server: EmbeddedServer, api: Any) -> None:
    first = ChangeReader(server.base_url, server.token)
    _, ready_id, _ = first.next()
    first.close()
    made = [api.post("/api/conversations", json={"title": f"m{i}"}).json() for i in range(3)]
    again = ChangeReader(server.base_url, server.token, last_event_id=ready_id)
    try:
        got = [again.next() for _ in range(3)]
        assert kinds(got) == ["conversation.created"] * 3
        assert [d["conversation"]["id"] for _, _, d in got] == [c["id"] for c in made]
        assert [int(i) for _, i, _ in got] == [int(ready_id) + n for n in (1, 2, 3)]
        # and then live, with no `ready` in between
        live = api.post("/api/conversations", json={"title": "live"}).json()
        event, _, data = again.next()
        assert (event, data["conversation"]["id"]) == ("conversation.created", live["id"])
    finally:
        again.close()


@pytest.mark.parametrize("last_id", ["0", "1", "99999999999999999999"])
def test_an_id_that_cannot_be_resumed_gets_reset(server: EmbeddedServer, last_id: str) -> None:
    """An id from an earlier run of the server, too old, or from the future: reload."""
    reader = ChangeReader(server.base_url, server.token, last_event_id=last_id)
    try:
        event, event_id, data = reader.next()
        assert (event, data) == ("reset", {})
        assert event_id.isdigit()
    finally:
        reader.close()


def test_the_feed_resumes_only_while_it_keeps_the_changes_after_an_id() -> None:
    """`since(N)`: the changes after N, or None (reset) when one of them is no longer kept
    (only the last `keep` are) or N is not an id of this feed."""

    async def run() -> None:
        feed = ChangeFeed(keep=3, first_id=100)
        assert feed.since(100) == []
        assert feed.since(99) is None and feed.since(101) is None
        for n in range(5):
            feed.publish("conversation.updated", {"n": n})
        assert feed.last_id == 105
        assert [c.data["n"] for c in feed.since(102) or []] == [2, 3, 4]
        assert [c.id for c in feed.since(104) or []] == [105]
        assert feed.since(105) == []
        assert feed.since(101) is None  # change 102 is kept, but not everything after 101
        assert feed.since(100) is None and feed.since(106) is None

    asyncio.run(run())


@pytest.mark.parametrize("bad", ["x", "-1", "1.5", "1e3"])
def test_a_malformed_last_event_id_is_400(server: EmbeddedServer, bad: str) -> None:
    response = requests.get(
        f"{server.base_url}/api/events",
        headers={"Authorization": f"Bearer {server.token}", "Last-Event-ID": bad},
        timeout=10,
    )
    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()["detail"]


def test_the_stream_needs_the_token_and_has_the_event_stream_headers(
    server: EmbeddedServer,
) -> None:
    assert requests.get(f"{server.base_url}/api/events", timeout=10).status_code == 401
    with requests.get(
        f"{server.base_url}/api/events?token={server.token}", stream=True, timeout=10
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-cache"
        lines = response.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 1000"


def test_shutdown_ends_open_change_streams(tmp_path: Path) -> None:
    server = EmbeddedServer(Settings(data_dir=tmp_path, echo_delay=0))
    server.start(timeout=10)
    reader = ChangeReader(server.base_url, server.token)
    try:
        assert reader.next()[0] == "ready"
        server.stop(timeout=5)
        assert not server.running
        assert reader.next()[0] == "<closed>"
    finally:
        reader.close()
        server.stop(timeout=5)
