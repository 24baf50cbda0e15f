"""Helpers for tests/providers: a token-carrying HTTP client and a reader for reply streams."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tests.support.http_client import TokenApi

DEADLINE = 10.0  # seconds any single wait may take before it is a failure
KEY = "sk-test-key"  # the API key the fake upstream (tests/openai/oai_support.py) accepts


def openai_settings(upstream: Any, **changes: Any) -> dict[str, Any]:
    """A `PUT /api/settings` body for the fake upstream (an `oai_support.Upstream`)."""
    body: dict[str, Any] = {
        "provider": "openai",
        "base_url": upstream.base_url,
        "api_key": KEY,
        "model": "llama3.2",
        "system_prompt": "Be brief.",
        "temperature": 0.7,
        "echo_delay": 0,
    }
    body.update(changes)
    return body


@dataclass
class Reply:
    """What a reply's event stream carried: the text of its deltas and how it ended."""

    text: str
    outcome: str  # "end" or "error"
    data: dict[str, Any]

    @property
    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = self.data["message"]
        return message


class Api(TokenApi):
    """A `requests` client for one server, token included, with a `DEADLINE` per request."""

    request_timeout = DEADLINE

    def put_settings(self, **body: Any) -> dict[str, Any]:
        response = self.put("/api/settings", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def conversation(self) -> str:
        response = self.post("/api/conversations", json={})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def messages(self, cid: str) -> list[dict[str, Any]]:
        response = self.get(f"/api/conversations/{cid}")
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    def follow(self, reply_id: str, deadline: float = DEADLINE) -> Reply:
        """Read the reply's event stream to its `end` or `error` event."""
        end_at = time.monotonic() + deadline
        text: list[str] = []
        event, data = "message", ""
        with self.get(f"/api/messages/{reply_id}/events", stream=True) as response:
            assert response.status_code == 200, response.text
            for raw in response.iter_lines(decode_unicode=True):
                assert time.monotonic() < end_at, "the reply did not finish in time"
                line = raw or ""
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line and data:
                    payload = json.loads(data)
                    if event == "delta":
                        text.append(payload["text"])
                    elif event in ("end", "error"):
                        return Reply("".join(text), event, payload)
                    event, data = "message", ""
        raise AssertionError("the stream closed without `end` or `error`")

    def turn(self, cid: str, content: str) -> Reply:
        """Send `content` and follow its reply to the end."""
        return self.follow(self.send(cid, content)["reply"]["id"])
