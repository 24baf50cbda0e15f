"""Replies in parts (PROTOCOL.md sections 4 and 8): offsets over all parts, one event per part
from the one an offset falls in, live and stored alike, at every offset."""

from __future__ import annotations

import asyncio
import itertools
import json

from hypothesis import given
from hypothesis import strategies as st

from backend.broker import LiveReply, Outcome
from backend.records import Message, Part, PartType, merged
from backend.sse import live_events, parts_after, stored_events

#: (kind, chunk) as a responder might produce them: reasoning, text, reasoning again, text.
CHUNKS: list[tuple[PartType, str]] = [
    ("reasoning", "pl"),
    ("reasoning", "a😀n"),
    ("text", "Hé"),
    ("text", "llo"),
    ("reasoning", "🇫🇷"),
    ("text", "!\n"),
]


def oracle(chunks: list[tuple[PartType, str]], offset: int) -> list[Part]:
    """What follows `offset`, computed code point by code point."""
    points = [(kind, char) for kind, text in chunks for char in text][offset:]
    return [
        Part(kind, "".join(c for _, c in group))
        for kind, group in itertools.groupby(points, key=lambda p: p[0])
    ]


def live(chunks: list[tuple[PartType, str]]) -> LiveReply:
    reply = LiveReply("r1", "c1")
    for kind, text in chunks:
        reply.append(text, kind)
    return reply


def stored(parts: tuple[Part, ...]) -> Message:
    content = "".join(p.text for p in parts if p.type == "text")
    return Message(
        "r1", "c1", "assistant", content, "complete", "2026-01-01T00:00:00Z", parts=parts
    )


def test_parts_from_every_offset() -> None:
    reply = live(CHUNKS)
    total = sum(len(t) for _, t in CHUNKS)
    assert reply.length == total
    for offset in range(total + 1):
        assert reply.parts_from(offset) == oracle(CHUNKS, offset), offset
        assert parts_after(reply.parts(), offset) == oracle(CHUNKS, offset), offset
    assert reply.text == "Héllo!\n"
    assert reply.parts() == merged(Part(k, t) for k, t in CHUNKS)


@given(
    st.lists(st.tuples(st.sampled_from(["reasoning", "text"]), st.text(max_size=4)), max_size=10),
    st.data(),
)
def test_parts_from_matches_the_oracle(
    chunks: list[tuple[PartType, str]], data: st.DataObject
) -> None:
    reply = live(chunks)
    offset = data.draw(st.integers(0, reply.length))
    assert reply.parts_from(offset) == oracle(chunks, offset)


def events(body: list[bytes]) -> list[tuple[str, int, str]]:
    """(event, id, text or final content) of each event after `retry`."""
    out = []
    for raw in body[1:]:
        lines = dict(line.split(": ", 1) for line in raw.decode().strip().split("\n"))
        data = json.loads(lines["data"])
        out.append((lines["event"], int(lines["id"]), data.get("text", "")))
    return out


def expected_events(offset: int) -> list[tuple[str, int, str]]:
    out, length = [], offset
    for part in oracle(CHUNKS, offset):
        length += len(part.text)
        out.append(("reasoning" if part.type == "reasoning" else "delta", length, part.text))
    return [*out, ("end", length, "")]


def test_live_and_stored_streams_resume_from_every_offset() -> None:
    parts = merged(Part(k, t) for k, t in CHUNKS)
    message = stored(parts)
    assert message.length == sum(len(t) for _, t in CHUNKS)

    async def follow(offset: int) -> tuple[list[bytes], list[bytes]]:
        reply = live(CHUNKS)
        reply.finish(Outcome(message))
        from_live = [e async for e in live_events(reply, offset)]
        from_store = [e async for e in stored_events(message, offset)]
        return from_live, from_store

    for offset in range(message.length + 1):
        from_live, from_store = asyncio.run(follow(offset))
        assert events(from_live) == expected_events(offset), offset
        assert events(from_store) == expected_events(offset), offset


def test_a_subscriber_gets_each_new_piece_as_its_own_kind_of_event() -> None:
    async def scenario() -> list[tuple[str, int, str]]:
        reply = LiveReply("r1", "c1")
        stream = live_events(reply, 0)
        seen = [await anext(stream)]  # retry
        reply.append("thinking", "reasoning")
        seen.append(await anext(stream))
        reply.append("ans", "text")
        reply.append("wer", "text")
        seen.append(await anext(stream))
        reply.finish(Outcome(stored((Part("reasoning", "thinking"), Part("text", "answer")))))
        seen.append(await anext(stream))
        return events(seen)

    assert asyncio.run(scenario()) == [
        ("reasoning", 8, "thinking"),
        ("delta", 14, "answer"),
        ("end", 14, ""),
    ]
