"""Helpers for the backend's tests: an HTTP client for one server, scripted responders."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from requests_sse import EventSource, MessageEvent

from backend.responders import ChatMessage
from tests.support.http_client import TokenApi


class Api(TokenApi):
    """A `requests` client for one server, token included."""

    def conversation(self, title: str | None = None) -> dict[str, Any]:
        body = {} if title is None else {"title": title}
        response = self.post("/api/conversations", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def open_events(self, mid: str, last_event_id: str | None = None) -> EventSource:
        source = EventSource(
            f"{self.base_url}/api/messages/{mid}/events",
            session=self.session,
            latest_event_id=last_event_id,
            timeout=10,
            max_connect_retry=0,
        )
        source.connect()
        return source

    def events(self, mid: str, last_event_id: str | None = None) -> list[MessageEvent]:
        """Every event of a reply's stream up to and including `end` or `error`."""
        with self.open_events(mid, last_event_id) as source:
            return read_until_outcome(source)


def read_until_outcome(source: EventSource) -> list[MessageEvent]:
    events: list[MessageEvent] = []
    for event in source:
        events.append(event)
        if event.type in ("end", "error"):
            return events
    raise AssertionError("the stream ended without an outcome")


def text_of(events: Sequence[MessageEvent]) -> str:
    return "".join(json.loads(e.data or "")["text"] for e in events if e.type == "delta")


class StallingResponder:
    """Yields `first`, then waits until cancelled: a reply that is surely still streaming."""

    name = "stalling"
    model = "test"

    def __init__(self, first: str = "part") -> None:
        self.first = first

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        yield self.first
        await asyncio.Event().wait()


class FailingResponder:
    """Yields `first`, then raises."""

    name = "failing"
    model = "test"

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        yield "ab"
        raise RuntimeError("boom")
