"""The real app (`create_app`) configured for the fake upstream, and an HTTP view of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backend.app import create_app
from backend.config import ProviderSettings, Settings
from tests.support.fake_openai import DEADLINE, LoopbackServer, Upstream, serving
from tests.support.waiting import wait_until

KEY = "sk-test-key"  # the key the fake upstream accepts


@dataclass
class App:
    server: LoopbackServer
    settings: Settings
    upstream: Upstream

    def http(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.settings.token}"}
        return httpx.Client(base_url=self.server.url, headers=headers, timeout=DEADLINE)

    def turn(self, http: httpx.Client, cid: str, content: str) -> dict[str, Any]:
        sent = http.post(f"/api/conversations/{cid}/messages", json={"content": content})
        assert sent.status_code == 202, sent.text
        reply: dict[str, Any] = sent.json()["reply"]
        return reply

    def finished(self, http: httpx.Client, cid: str) -> list[dict[str, Any]]:
        def done() -> bool:
            messages = http.get(f"/api/conversations/{cid}").json()["messages"]
            return bool(messages[-1]["status"] != "streaming")

        assert wait_until(done, timeout=DEADLINE)
        messages: list[dict[str, Any]] = http.get(f"/api/conversations/{cid}").json()["messages"]
        return messages


@contextmanager
def app_for(tmp_path: Path, upstream: Upstream, model: str, **provider: Any) -> Iterator[App]:
    settings = Settings(
        data_dir=tmp_path / "data",
        provider=ProviderSettings(
            provider="openai", base_url=upstream.base_url, api_key=KEY, model=model, **provider
        ),
    )
    with serving(create_app(settings), lifespan="on") as server:
        yield App(server, settings, upstream)


def events(http: httpx.Client, mid: str, offset: int = 0) -> list[tuple[str, str, Any]]:
    headers = {"Last-Event-ID": str(offset)}
    text = http.get(f"/api/messages/{mid}/events", headers=headers).text
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if "event" in fields:
            out.append((fields["event"], fields["id"], json.loads(fields["data"])))
    return out
