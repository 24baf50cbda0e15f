"""The responder's own event-stream decoding (backend/upstream_reading.py, which caps what it
reads) keeps to the standard however the bytes are cut: CRLF, CR or LF line ends, a CRLF
split across writes, comments, multi-line data, a UTF-8 character split across writes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from backend.openai.upstream import OpenAICompatResponder
from tests.support.fake_openai import DEADLINE, serving


def _chunk(text: str, finish: str | None = None) -> str:
    choice = {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}
    return json.dumps({"choices": [choice]})


WRITES: list[bytes] = [
    b": a comment first\r\n",
    f"data: {_chunk('Hel')}\r".encode(),
    b"\n\r\n",  # the CRLF of the data line split from its CR, then the blank line
    f"event: message\rdata: {_chunk('lo ')}\r\r".encode(),  # CR only
    f"data: {_chunk('wörld')}\n\n".encode()[:-12],  # cut inside the JSON...
    f"data: {_chunk('wörld')}\n\n".encode()[-12:],
    f"data: {_chunk('é')}\n\n".encode()[:24],  # ...and inside a two-byte character
    f"data: {_chunk('é')}\n\n".encode()[24:],
    b"id: 7\nretry: 100\n\n",  # no data: skipped
    f"data: {_chunk('', 'stop')}\n\ndata: [DONE]\n\n".encode(),
]


@pytest.fixture
def url() -> Iterator[str]:
    async def chat(request: Request) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for write in WRITES:
                yield write
                await asyncio.sleep(0.005)  # separate TCP writes, most of the time

        return StreamingResponse(body(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    with serving(app) as server:
        yield f"{server.url}/v1"


def test_events_are_decoded_however_the_bytes_are_cut(url: str) -> None:
    responder = OpenAICompatResponder(url, None, "m")

    async def collect() -> list[object]:
        return [piece async for piece in responder.stream([])]

    pieces = asyncio.run(asyncio.wait_for(collect(), DEADLINE))
    assert pieces == ["Hel", "lo ", "wörld", "é"]
    assert responder.finish_reason == "stop"
