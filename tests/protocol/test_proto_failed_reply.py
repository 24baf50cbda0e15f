"""PROTOCOL.md section 4, the `error` event of a failed reply.

The echo responder cannot fail, so this one module serves the real app
(`create_app(settings, responder)`, the documented Responder plug-in point of
docs/ARCHITECTURE.md) with a responder that breaks after some text, on real
uvicorn over loopback. Everything else is plain HTTP, as in the rest of the suite.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.waiting import wait_until

from .sse_support import read_stream
from .support import Api, check_message, free_port

PARTIAL = "partial 😀 text"


class BreakingResponder:
    name = "breaking"
    model = "breaking"

    async def stream(self, messages: Sequence[Any]) -> AsyncIterator[str]:
        for ch in PARTIAL:
            yield ch
        raise RuntimeError("upstream went away")


@pytest.fixture
def failing_server(tmp_path: Path) -> Iterator[Api]:
    import uvicorn

    from backend.app import create_app
    from backend.config import Settings

    port = free_port()
    settings = Settings(data_dir=tmp_path, port=port)
    app = create_app(settings, responder=BreakingResponder())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), timeout=10, what="uvicorn")
        assert server.started, "the app did not start"
        yield Api(f"http://127.0.0.1:{port}", settings.token)
    finally:
        server.should_exit = True
        thread.join(10)


def test_failed_reply_ends_with_error_event_and_keeps_partial(failing_server: Api) -> None:
    api = failing_server
    cid, turn = api.new_turn("anything")
    rid = turn["reply"]["id"]
    for res in (api.follow(rid), api.follow(rid)):  # live (or just finished), then stored
        assert res.status == 200
        assert b"\r" not in res.raw
        assert res.raw.startswith(b"retry: 1000\n")
        assert res.eof, "the server must close the response after `error`"
        last = res.last
        assert last.type == "error", res.events
        payload = last.json
        assert isinstance(payload.get("detail"), str) and payload["detail"], payload
        msg = check_message(payload["message"], role="assistant", status="failed")
        assert msg["content"] == PARTIAL == res.text
        assert last.id == str(len(PARTIAL))
    stored = api.message(cid, rid)
    assert stored["status"] == "failed"
    assert stored["content"] == PARTIAL
    resumed = read_stream(api.events_url(rid), headers={**api.auth_headers(), "Last-Event-ID": "8"})
    assert resumed.text == PARTIAL[8:]
    assert resumed.last.type == "error"
    # a failed reply does not block the conversation
    assert (
        api.post(f"/api/conversations/{cid}/messages", json={"content": "again"}).status_code == 202
    )
