"""A disk that fills up while replies are written (issue 11, item 3), for real: a 4 MiB tmpfs
(we run as root; where mounting is not allowed, the raising store of tests/support stands in
for it, so the test never skips), filled to less and less free space while 60,000-character
turns are sent. Whatever happens at each level, the client is told what is stored; at some
level the final write fails and the reply ends `failed` with all its text; once the space is
freed every such reply is stored, without a restart, and nothing stored before is lost.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from requests_sse import EventSource

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.turns import DISK_FULL_DETAIL
from tests.support.full_disk import RaisingDisk, stored_as, tmpfs
from tests.support.http_client import TokenApi
from tests.support.waiting import wait_until

TEXT = "".join(f"line {i:05d} of a long reply\n" for i in range(2000))[:60_000]
FREE_LEVELS = (400_000, 300_000, 240_000, 200_000, 160_000, 130_000, 100_000, 70_000, 40_000)


def _stored_failed(db_path: Path, reply_id: str) -> bool:
    return stored_as(db_path, reply_id) == ("failed", TEXT)


def _follow(api: TokenApi, reply_id: str) -> tuple[str, str, dict[str, Any]]:
    """(outcome event, text of the deltas, outcome data) of a reply's stream."""
    source = EventSource(
        f"{api.base_url}/api/messages/{reply_id}/events",
        session=api.session,
        timeout=15,
        max_connect_retry=0,
    )
    source.connect()
    text: list[str] = []
    with source:
        for event in source:
            if event.type == "delta":
                text.append(json.loads(event.data or "")["text"])
            elif event.type in ("end", "error"):
                return event.type, "".join(text), json.loads(event.data or "")
    raise AssertionError("the stream ended without an outcome")


def test_a_disk_filling_up_mid_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: dict[str, Any]
) -> None:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        settings = Settings(
            data_dir=(disk.path if disk else tmp_path) / "data",
            echo_delay=0,
            persist_interval=0.05,
            save_retry_seconds=0.3,
            save_retry_interval=0.05,
        )
        raising = None if disk else RaisingDisk(monkeypatch, ("save_parts", "finish_parts"))
        outcomes: list[str] = []
        failed: list[str] = []
        with EmbeddedServer(settings) as server:
            api = TokenApi(server.base_url, server.token)
            kept = api.post("/api/conversations", json={"title": "kept"}).json()["id"]
            first = api.send(kept, "stored before the disk filled")["reply"]["id"]
            assert _follow(api, first)[0] == "end"
            for free in FREE_LEVELS:
                if disk:
                    disk.fill_to(free)
                elif raising:
                    raising.full = free <= 160_000
                created = api.post("/api/conversations", json={})
                if created.status_code == 507:
                    outcomes.append(f"{free // 1000} KB free: conversation refused (507)")
                    continue
                cid = created.json()["id"]
                answer = api.post(f"/api/conversations/{cid}/messages", json={"content": TEXT})
                if answer.status_code == 507:  # refused before anything was stored
                    assert "disk is full" in answer.json()["detail"]
                    outcomes.append(f"{free // 1000} KB free: turn refused (507)")
                    continue
                assert answer.status_code == 202, answer.text
                reply_id = answer.json()["reply"]["id"]
                kind, text, event = _follow(api, reply_id)
                told = event["message"]
                shown = api.get(f"/api/conversations/{cid}").json()["messages"][-1]
                assert text == TEXT and told["content"] == TEXT
                assert (shown["id"], shown["status"], shown["content"]) == (
                    reply_id,
                    told["status"],
                    TEXT,
                )
                if kind == "end":
                    assert told["status"] == "complete"
                    assert stored_as(settings.db_path, reply_id) == ("complete", TEXT)
                else:
                    assert (told["status"], event["detail"]) == ("failed", DISK_FULL_DETAIL)
                    failed.append(reply_id)
                outcomes.append(f"{free // 1000} KB free: {kind} {told['status']}")
            assert failed, outcomes  # at some level the final write did fail

            if disk:
                disk.empty()
            elif raising:
                raising.full = False
            assert api.post("/api/conversations", json={}).status_code == 201
            for reply_id in failed:
                wait_until(
                    functools.partial(_stored_failed, settings.db_path, reply_id),
                    timeout=15,
                    what=f"reply {reply_id} to be stored once there is room",
                )
            listed = api.get(f"/api/conversations/{kept}").json()["messages"]
            assert [m["content"] for m in listed] == ["stored before the disk filled"] * 2
    how = "a 4 MiB tmpfs" if disk else "the raising store (mounting not allowed)"
    figures["full disk mid-reply"] = f"{how}: " + "; ".join(outcomes)
