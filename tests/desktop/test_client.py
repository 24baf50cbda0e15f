"""`ChatClient` against the real backend: answers, and errors as readable `ApiError`s."""

from __future__ import annotations

import socket

import pytest

from backend.embedded import EmbeddedServer
from desktop.client import ApiError, ChatClient


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
