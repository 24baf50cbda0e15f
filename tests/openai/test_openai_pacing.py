"""The responder reads an event stream paced (backend/openai/pacing.py): a stream of many small
writes is read in far fewer socket reads than writes, and every byte still arrives, in order,
whether the upstream is slow (a chunk per millisecond) or sends a large reply as fast as it can.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from backend.openai import pacing
from backend.openai.upstream import OpenAICompatResponder
from tests.support.fake_openai import DEADLINE, serving

TOKENS = [f"t{i:03d} " for i in range(200)]  # 200 chunks, one write each
BIG = [f"{i:06d}" + "x" * 994 for i in range(2000)]  # 2 MB of chunks, no pause


def _event(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


@pytest.fixture
def url() -> Iterator[str]:
    async def chat(request: Request) -> StreamingResponse:
        big = (await request.json())["messages"][0]["content"] == "big"

        async def body() -> AsyncIterator[bytes]:
            for token in BIG if big else TOKENS:
                yield _event(token)
                if not big:
                    await asyncio.sleep(0.001)
            yield _event("", "stop") + b"data: [DONE]\n\n"

        return StreamingResponse(body(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    with serving(app) as server:
        yield f"{server.url}/v1"


class _Said:
    role = "user"

    def __init__(self, content: str) -> None:
        self.content = content


def _stream(url: str, said: str) -> str:
    responder = OpenAICompatResponder(url, None, "m")

    async def collect() -> str:
        return "".join([str(p) async for p in responder.stream([_Said(said)])])

    return asyncio.run(asyncio.wait_for(collect(), DEADLINE))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The socket reads of the responder's streams (one entry per read: its size)."""
    seen: list[int] = []
    read = pacing.PacedStream.read

    async def counted(
        self: pacing.PacedStream, max_bytes: int, timeout: float | None = None
    ) -> bytes:
        data = await read(self, max_bytes, timeout)
        seen.append(len(data))
        return data

    monkeypatch.setattr(pacing.PacedStream, "read", counted)
    return seen


def test_a_stream_of_small_writes_is_read_in_few_reads(url: str, reads: list[int]) -> None:
    assert _stream(url, "small") == "".join(TOKENS)
    # 200 writes over >= 200 ms: one read per `READ_WINDOW`, not one per write
    assert 0 < len(reads) < len(TOKENS) / 2


def test_a_fast_large_stream_arrives_whole(url: str, reads: list[int]) -> None:
    assert _stream(url, "big") == "".join(BIG)
