"""`ChatClient` against the real backend: answers, and errors as readable `ApiError`s."""

from __future__ import annotations

import json
import socket

import pytest

from backend.embedded import EmbeddedServer
from desktop.client import STREAM_PIECE, ApiError, ChatClient


def test_round_trip(api: ChatClient) -> None:
    assert api.health()["status"] == "ok"
    conv = api.create_conversation("hello")
    assert api.rename_conversation(conv.id, "renamed").title == "renamed"
    assert [c.id for c in api.list_conversations()] == [conv.id]
    turn = api.send_message(conv.id, "hi")
    assert (turn.message.content, turn.reply.status) == ("hi", "streaming")
    detail = api.get_conversation(conv.id)
    assert [m.id for m in detail.messages] == [turn.message.id, turn.reply.id]
    api.cancel(turn.reply.id)
    api.delete_conversation(conv.id)
    assert api.list_conversations() == []


def test_errors_are_readable(api: ChatClient) -> None:
    conv = api.create_conversation()
    api.send_message(conv.id, "a reply that takes a while to stream back " * 3)
    with pytest.raises(ApiError) as busy:
        api.send_message(conv.id, "too soon")
    assert busy.value.status == 409
    assert busy.value.message.startswith("A reply is still being written")
    with pytest.raises(ApiError) as empty:
        api.send_message(conv.id, "   ")
    assert empty.value.status == 422
    with pytest.raises(ApiError) as missing:
        api.get_conversation("nope")
    assert missing.value.status == 404
    assert "Traceback" not in str(missing.value)


def test_wrong_token_and_no_backend(server: EmbeddedServer) -> None:
    bad = ChatClient(server.base_url, "wrong")
    with pytest.raises(ApiError) as refused:
        bad.list_conversations()
    assert refused.value.status == 401
    assert "token" in refused.value.message
    bad.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = ChatClient(f"http://127.0.0.1:{port}", "t")
    with pytest.raises(ApiError) as unreachable:
        gone.health()
    assert unreachable.value.status == 0
    assert unreachable.value.message.startswith("Cannot reach the chat backend")
    gone.close()
    assert "wrong" not in repr(bad)  # the token never shows


def test_event_streams_carry_a_long_event_whole_and_a_short_one_at_once(api: ChatClient) -> None:
    """Streams are read in large pieces (`STREAM_PIECE`): a 99 KB message comes whole in
    the change feed, across several pieces, and a reply's first short delta comes without
    waiting for a piece to fill."""
    session = api.new_session()
    feed = api.open_change_stream("", session)
    try:
        assert next(feed).type == "ready"
        conv = api.create_conversation("long")
        text = "".join(f"line {i} of a long paste\n" for i in range(4_000))[:99_000]
        assert len(text) > STREAM_PIECE
        turn = api.send_message(conv.id, text)
        created = next(e for e in feed if e.type == "message.created")  # the user's
        assert json.loads(created.data)["message"]["content"] == text
        with api.open_events(turn.reply.id, 0, session) as events:
            first = next(events)
        assert first.type == "delta" and json.loads(first.data or "")["text"]
        api.cancel(turn.reply.id)
    finally:
        feed.close()
        api.release(session)
