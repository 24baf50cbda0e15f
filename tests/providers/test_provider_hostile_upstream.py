"""A hostile upstream's words never reach a user unbounded or with control characters
(issue 11, item 1, the backend half): every `detail`/`error` an upstream can fill is cut to
~500 characters and stripped of control characters, in a reply's `error` event, in the stored
message, in `POST /api/provider/check` and in `GET /api/provider/models`.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from backend.openai.errors import MAX_DETAIL_CHARS
from tests.support.fake_openai import serving
from tests.support.provider_helpers import Api, openai_settings

#: Control characters of every kind, bidi overrides, and markup a rich-text label would obey.
NASTY = (
    "\x00\x07\x08\x1b[31mRED\x1b[0m\r\n\t\x7f\x85\u202eevil\u202c\u2066x\u2069\ufeff"
    '<img src="/etc/passwd" width=20000 height=20000><a href="https://evil.example">'
    "Session expired: click to sign in</a>"
)
HUGE = NASTY + "A" * 100_000


def _error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "server_error", "code": None}}


async def _models(request: Request) -> Response:
    return JSONResponse(_error_body(HUGE), status_code=401)


async def _chat(request: Request) -> Response:
    body = await request.json()
    model = body.get("model")
    if model == "status":
        return JSONResponse(_error_body(HUGE), status_code=500)
    if model == "plain-body":
        return Response(HUGE, status_code=503, media_type="text/plain")

    async def events() -> AsyncIterator[str]:
        chunk = {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]}
        yield f"data: {json.dumps(chunk)}\n\n"
        if model == "mid-stream":
            yield f"data: {json.dumps(_error_body(HUGE))}\n\n"
        else:  # a malformed chunk quoting the hostile text (one SSE line: no CR/LF in it)
            yield "data: {" + HUGE.replace("\r\n", "") + "\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


class Hostile:
    def __init__(self, url: str) -> None:
        self.base_url = f"{url}/v1"


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    app = Starlette(
        routes=[
            Route("/v1/models", _models, methods=["GET"]),
            Route("/v1/chat/completions", _chat, methods=["POST"]),
        ]
    )
    with serving(app) as server:
        yield Hostile(server.url)


def assert_plain_and_short(text: str) -> None:
    assert text.strip(), "an empty detail"
    assert len(text) <= MAX_DETAIL_CHARS, (len(text), text[:80])
    assert MAX_DETAIL_CHARS <= 600  # "a sane length": about 500 characters
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf")]
    assert not bad, f"control or format characters kept: {bad!r}"


@pytest.mark.parametrize("model", ["status", "plain-body", "mid-stream", "malformed"])
def test_a_reply_failing_with_hostile_text_gets_a_short_plain_error(
    api: Api, hostile: Hostile, model: str
) -> None:
    api.put_settings(**openai_settings(hostile, model=model))
    cid = api.conversation()
    reply = api.turn(cid, "hi")
    assert reply.outcome == "error" and reply.message["status"] == "failed"
    assert_plain_and_short(reply.data["detail"])
    assert_plain_and_short(reply.message["error"])
    stored = api.messages(cid)[-1]
    assert stored["error"] == reply.message["error"]
    assert "AAAA" in stored["error"]  # the upstream's own words are still quoted, cut


def test_connection_check_and_model_list_cut_hostile_text(api: Api, hostile: Hostile) -> None:
    check = api.post(
        "/api/provider/check", json={"provider": "openai", "base_url": hostile.base_url}
    )
    assert check.status_code == 200 and check.json()["ok"] is False
    assert_plain_and_short(check.json()["detail"])

    api.put_settings(**openai_settings(hostile))
    models = api.get("/api/provider/models")
    assert models.status_code == 502
    assert_plain_and_short(models.json()["detail"])
