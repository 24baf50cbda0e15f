"""ReplyBroker / LiveReply: offsets in code points, wake-ups, merged deltas."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.broker import LiveReply, Outcome, ReplyBroker
from backend.records import Message
from backend.sse import live_events

TRICKY = ["Hé", "😀", "🇫🇷", "👩‍👩‍👧", "a\r\n", "data: x", "é", "𝄞"]


def make_reply(chunks: list[str]) -> LiveReply:
    reply = LiveReply("r1", "c1")
    for chunk in chunks:
        reply.append(chunk)
    return reply


def final(content: str, status: str = "complete") -> Outcome:
    return Outcome(Message("r1", "c1", "assistant", content, status, "2026-01-01T00:00:00Z"))  # type: ignore[arg-type]


def test_text_from_every_offset_of_multi_byte_text() -> None:
    reply = make_reply(TRICKY)
    full = "".join(TRICKY)
    assert reply.length == len(full)
    for offset in range(len(full) + 1):
        assert reply.text_from(offset) == full[offset:]


@given(st.lists(st.text(max_size=5), max_size=12), st.data())
def test_text_from_matches_slicing(chunks: list[str], data: st.DataObject) -> None:
    reply = make_reply(chunks)
    full = "".join(chunks)
    offset = data.draw(st.integers(0, len(full)))
    assert reply.text_from(offset) == full[offset:]
    assert reply.length == len(full)


def test_text_from_rejects_offsets_outside_the_text() -> None:
    reply = make_reply(["abc"])
    with pytest.raises(ValueError):
        reply.text_from(4)
    with pytest.raises(ValueError):
        reply.text_from(-1)


def test_empty_chunks_are_ignored_and_finished_replies_refuse_text() -> None:
    reply = make_reply(["", "a", ""])
    assert reply.text == "a"
    reply.finish(final("a"))
    with pytest.raises(RuntimeError):
        reply.append("b")


def test_subscribers_wake_on_append_finish_and_close() -> None:
    async def scenario() -> None:
        reply = LiveReply("r1", "c1")
        waiters = [asyncio.create_task(reply.wait_past(0)) for _ in range(3)]
        await asyncio.sleep(0)
        assert not any(w.done() for w in waiters)
        reply.append("x")
        await asyncio.wait_for(asyncio.gather(*waiters), 1)

        later = asyncio.create_task(reply.wait_past(1))
        await asyncio.sleep(0)
        assert not later.done()
        reply.finish(final("x"))
        await asyncio.wait_for(later, 1)

        other = LiveReply("r2", "c1")
        closed = asyncio.create_task(other.wait_past(0))
        await asyncio.sleep(0)
        ReplyBroker().close_subscribers()  # another broker: no effect on `other`
        await asyncio.sleep(0)
        assert not closed.done()
        other.close()
        await asyncio.wait_for(closed, 1)

    asyncio.run(scenario())


def test_a_slow_subscriber_gets_one_merged_delta() -> None:
    async def scenario() -> list[bytes]:
        reply = make_reply(["a"] * 100 + ["😀"])
        reply.finish(final("a" * 100 + "😀"))
        return [chunk async for chunk in live_events(reply, 10)]

    frames = asyncio.run(scenario())
    assert frames[0] == b"retry: 1000\n\n"
    assert frames[1] == ('event: delta\nid: 101\ndata: {"text": "' + "a" * 90 + '😀"}\n\n').encode()
    assert frames[2].startswith(b"event: end\nid: 101\n")
    assert len(frames) == 3


def test_live_subscriber_follows_appends_then_ends() -> None:
    async def scenario() -> list[bytes]:
        broker = ReplyBroker()
        reply = broker.register("r1", "c1")
        frames: list[bytes] = []

        async def follow() -> None:
            async for frame in live_events(reply, 0):
                frames.append(frame)

        follower = asyncio.create_task(follow())
        await asyncio.sleep(0)
        reply.append("Hé")
        await asyncio.sleep(0)
        reply.append("!")
        reply.finish(final("Hé!"))
        await asyncio.wait_for(follower, 1)
        return frames

    frames = asyncio.run(scenario())
    assert frames[1] == b'event: delta\nid: 2\ndata: {"text": "H\xc3\xa9"}\n\n'
    assert frames[2] == b'event: delta\nid: 3\ndata: {"text": "!"}\n\n'
    assert frames[3].startswith(b"event: end\nid: 3\n")


def test_text_that_comes_within_the_merge_window_goes_in_one_event() -> None:
    """The first text after a quiet spell goes at once; what follows sooner than
    `merge_seconds` later waits and goes merged (its id counts code points), at the latest
    when the reply ends."""

    async def scenario() -> tuple[list[bytes], bool]:
        reply = LiveReply("r1", "c1")
        stream = live_events(reply, 0, merge_seconds=60.0)
        frames = [await anext(stream)]
        reply.append("a")
        frames.append(await anext(stream))
        later = asyncio.ensure_future(anext(stream))
        reply.append("b")
        for _ in range(10):
            await asyncio.sleep(0)
        held = not later.done()
        reply.append("😀")
        reply.append("c")
        reply.finish(final("ab😀c"))
        frames.append(await later)
        frames += [frame async for frame in stream]
        return frames, held

    frames, held = asyncio.run(scenario())
    assert held
    assert frames[1] == b'event: delta\nid: 1\ndata: {"text": "a"}\n\n'
    assert frames[2] == 'event: delta\nid: 4\ndata: {"text": "b😀c"}\n\n'.encode()
    assert frames[3].startswith(b"event: end\nid: 4\n")
    assert len(frames) == 4


def test_held_back_text_goes_when_the_merge_window_ends() -> None:
    async def scenario() -> list[bytes]:
        reply = LiveReply("r1", "c1")
        stream = live_events(reply, 0, merge_seconds=0.01)
        frames = [await anext(stream)]
        reply.append("a")
        frames.append(await anext(stream))
        later = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)
        reply.append("bc")
        frames.append(await asyncio.wait_for(later, 5))  # the reply has not ended
        return frames

    assert asyncio.run(scenario())[2] == b'event: delta\nid: 3\ndata: {"text": "bc"}\n\n'


def test_closing_the_broker_ends_live_streams_without_an_outcome() -> None:
    async def scenario() -> list[bytes]:
        broker = ReplyBroker()
        reply = broker.register("r1", "c1")
        reply.append("ab")
        stream = live_events(reply, 0)
        frames = [await anext(stream), await anext(stream)]
        broker.close_subscribers()
        frames += [frame async for frame in stream]
        return frames

    assert asyncio.run(scenario()) == [
        b"retry: 1000\n\n",
        b'event: delta\nid: 2\ndata: {"text": "ab"}\n\n',
    ]


def test_register_twice_is_an_error() -> None:
    broker = ReplyBroker()
    broker.register("r1", "c1")
    with pytest.raises(KeyError):
        broker.register("r1", "c1")
    broker.discard("r1")
    assert broker.get("r1") is None
    assert len(broker) == 0
