"""A full disk never loses a reply while telling the client it was saved (issue 11, item 3).

Before: with a tmpfs filled to ~100-160 KB free and a 60,000-character reply the `end` event
said `complete` with all the text while the store held `streaming` with none; a later
subscriber got `end` with status `streaming`; other writes answered `500 Internal error` and
the server then dropped the keep-alive connection without `Connection: close`.

Now the status a client is told is the stored one: the final write is retried for a while;
if it still cannot be stored the stream ends with `error` (`failed`, "Could not save the
reply: the disk is full"), the text stays with the live reply for every subscriber, and it is
stored once there is room again. Every write on a full disk is `507 {"detail": ...}` on a
connection that stays usable; nothing stored before is lost; no restart is needed.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.store import Store
from backend.turns import DISK_FULL_DETAIL
from tests.support.backend_helpers import Api, text_of
from tests.support.full_disk import RaisingDisk, stored_as
from tests.support.waiting import wait_until

TEXT = "".join(f"line {i:05d} of a long reply\n" for i in range(2000))[:60_000]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        echo_delay=0,
        persist_interval=0.05,
        save_retry_seconds=0.5,
        save_retry_interval=0.05,
    )


@pytest.fixture
def server(settings: Settings) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(settings) as running:
        yield running


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server.base_url, server.token)


def _outcome(api: Api, reply_id: str) -> tuple[str | None, str, dict[str, Any]]:
    events = api.events(reply_id)
    return events[-1].type, text_of(events), json.loads(events[-1].data or "")


def _finished_turn(api: Api, cid: str, content: str) -> str:
    reply_id = str(api.send(cid, content)["reply"]["id"])
    kind, _, _ = _outcome(api, reply_id)
    assert kind == "end"
    return reply_id


def test_a_reply_that_cannot_be_stored_ends_failed_and_is_kept(
    api: Api, server: EmbeddedServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = api.conversation("stored before")["id"]
    _finished_turn(api, kept, "an earlier question")
    cid = api.conversation("on a full disk")["id"]
    disk = RaisingDisk(monkeypatch, methods=("save_parts", "finish_parts"))
    disk.full = True

    reply_id = str(api.send(cid, TEXT)["reply"]["id"])
    for _ in range(2):  # the first subscriber, then a later one: the same text and outcome
        kind, text, data = _outcome(api, reply_id)
        assert kind == "error" and data["detail"] == DISK_FULL_DETAIL
        message = data["message"]
        assert (message["status"], message["error"], message["content"]) == (
            "failed",
            DISK_FULL_DETAIL,
            TEXT,
        )
        assert text == TEXT
    shown = api.get(f"/api/conversations/{cid}").json()["messages"][-1]
    assert (shown["id"], shown["status"], shown["content"]) == (reply_id, "failed", TEXT)
    assert disk.failed("finish_parts") >= 2  # it was retried

    disk.full = False  # space is freed: writing works again, without a restart
    again = api.send(cid, "and now?")
    kind, text, data = _outcome(api, again["reply"]["id"])
    assert (kind, text, data["message"]["status"]) == ("end", "and now?", "complete")
    wait_until(
        lambda: stored_as(settings.db_path, reply_id) == ("failed", TEXT),
        timeout=10,
        what="the failed reply to be stored once there is room",
    )
    server.stop()

    store = Store.open(settings.db_path)
    try:
        stored = {m.id: m for m in store.list_messages(cid)}
        assert (stored[reply_id].status, stored[reply_id].content) == ("failed", TEXT)
        assert stored[reply_id].error == DISK_FULL_DETAIL
        assert [m.content for m in store.list_messages(kept)] == ["an earlier question"] * 2
    finally:
        store.close()


def test_a_final_write_that_fails_for_a_moment_still_ends_complete(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = replace(settings, save_retry_seconds=10.0)
    with EmbeddedServer(patient) as server:
        api = Api(server.base_url, server.token)
        disk = RaisingDisk(monkeypatch, methods=("finish_parts",))
        disk.fail_next("finish_parts", 3)
        cid = api.conversation()["id"]
        reply_id = str(api.send(cid, "short reply")["reply"]["id"])
        kind, text, data = _outcome(api, reply_id)
        assert (kind, text, data["message"]["status"]) == ("end", "short reply", "complete")
        assert disk.failed("finish_parts") == 3
        stored = api.get(f"/api/conversations/{cid}").json()["messages"][-1]
        assert (stored["status"], stored["content"]) == ("complete", "short reply")


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any, http.client.HTTPResponse]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = None if body is None else json.dumps(body)
    conn.request(method, path, body=data, headers=headers)
    answer = conn.getresponse()
    raw = answer.read()
    return answer.status, (json.loads(raw) if raw else {}), answer


def test_every_write_on_a_full_disk_is_507_on_a_connection_that_stays_usable(
    api: Api, server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = api.conversation()["id"]
    reply_id = _finished_turn(api, cid, "hello")
    user_id = api.get(f"/api/conversations/{cid}").json()["messages"][0]["id"]
    disk = RaisingDisk(monkeypatch)
    disk.full = True
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        writes = [
            ("POST", "/api/conversations", {}),
            ("PATCH", f"/api/conversations/{cid}", {"title": "renamed"}),
            ("POST", f"/api/conversations/{cid}/messages", {"content": "hi"}),
            ("PATCH", f"/api/messages/{user_id}", {"content": "edited"}),
            ("POST", f"/api/messages/{reply_id}/regenerate", None),
            ("DELETE", f"/api/conversations/{cid}", None),
        ]
        socket_seen = None
        for method, path, body in writes:
            status, answer, raw = _request(conn, method, path, server.token, body)
            assert status == 507, (method, path, status, answer)
            assert "disk is full" in answer["detail"], answer
            assert raw.getheader("connection") is None  # kept alive, as promised
            assert conn.sock is not None
            socket_seen = socket_seen or conn.sock.getsockname()
            assert conn.sock.getsockname() == socket_seen  # the same connection throughout
        status, listed, _ = _request(conn, "GET", "/api/conversations", server.token)
        assert status == 200 and [c["id"] for c in listed] == [cid]  # nothing was lost
        assert conn.sock is not None and conn.sock.getsockname() == socket_seen
    finally:
        conn.close()
    disk.full = False
    assert api.post("/api/conversations", json={}).status_code == 201
    assert [m["content"] for m in api.get(f"/api/conversations/{cid}").json()["messages"]] == [
        "hello",
        "hello",
    ]


def test_an_unexpected_error_keeps_the_connection_usable(
    api: Api, server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: Store) -> None:
        raise RuntimeError("secret internals")

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        assert _request(conn, "GET", "/api/conversations", server.token)[0] == 200
        before = conn.sock.getsockname() if conn.sock else None
        monkeypatch.setattr(Store, "list_conversations", explode)
        status, answer, _ = _request(conn, "GET", "/api/conversations", server.token)
        assert (status, answer) == (500, {"detail": "Internal error"})
        monkeypatch.undo()
        assert _request(conn, "GET", "/api/conversations", server.token)[0] == 200
        assert conn.sock is not None and conn.sock.getsockname() == before
    finally:
        conn.close()
