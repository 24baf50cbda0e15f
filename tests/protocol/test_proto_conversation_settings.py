"""PROTOCOL.md section 11: a conversation's own `model` and `system_prompt`, set with
`PATCH /api/conversations/{cid}`; each reply uses the values in force when it starts, and its
Message's `model` names the model used. Written from the text, against the real backend."""

from __future__ import annotations

from typing import Any

import pytest

from .sse_support import RawStream
from .support import Api, check_error, check_message

DEFAULT_MODEL = "echo"  # the model the app is configured with (the echo provider's)


def patch(api: Api, cid: str, body: Any) -> dict[str, Any]:
    r = api.patch(f"/api/conversations/{cid}", json=body)
    assert r.status_code == 200, (r.status_code, r.text)
    conv: dict[str, Any] = r.json()
    return conv


def test_a_new_conversation_uses_the_defaults(api: Api) -> None:
    conv = api.create_conversation("Defaults")
    assert (conv["model"], conv["system_prompt"]) == (None, None)
    assert (api.conversation(conv["id"])["model"], conv["system_prompt"]) == (None, None)
    listed = next(c for c in api.get("/api/conversations").json() if c["id"] == conv["id"])
    assert (listed["model"], listed["system_prompt"]) == (None, None)


def test_patch_sets_what_it_names_and_leaves_the_rest(api: Api) -> None:
    cid = api.create_conversation("Kept title")["id"]
    conv = patch(api, cid, {"model": "llama3.2"})
    assert (conv["title"], conv["model"], conv["system_prompt"]) == ("Kept title", "llama3.2", None)
    conv = patch(api, cid, {"system_prompt": "You are terse."})
    assert (conv["model"], conv["system_prompt"]) == ("llama3.2", "You are terse.")
    conv = patch(api, cid, {"title": "Renamed", "system_prompt": ""})
    assert (conv["title"], conv["model"], conv["system_prompt"]) == ("Renamed", "llama3.2", "")
    conv = patch(api, cid, {"model": None})
    assert (conv["title"], conv["model"], conv["system_prompt"]) == ("Renamed", None, "")
    conv = patch(api, cid, {"model": "qwen3", "system_prompt": None})
    assert (conv["model"], conv["system_prompt"]) == ("qwen3", None)
    stored = api.conversation(cid)
    assert (stored["title"], stored["model"], stored["system_prompt"]) == ("Renamed", "qwen3", None)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"unknown": "field"},
        {"title": None},
        {"title": ""},
        {"model": 5},
        {"system_prompt": ["not", "text"]},
        {"model": ""},
        [],
        "model",
    ],
    ids=repr,
)
def test_bad_patch_bodies_are_422(api: Api, body: Any) -> None:
    cid = api.create_conversation("Unchanged")["id"]
    check_error(api.patch(f"/api/conversations/{cid}", json=body), 422)
    conv = api.conversation(cid)
    assert (conv["title"], conv["model"], conv["system_prompt"]) == ("Unchanged", None, None)


def test_patch_of_an_unknown_conversation_is_404(api: Api) -> None:
    check_error(api.patch("/api/conversations/nope", json={"model": "m"}), 404)


def test_each_reply_names_the_model_in_force_when_it_started(api: Api) -> None:
    cid = api.create_conversation()["id"]
    first = api.send(cid, "one")
    assert first["reply"]["model"] == DEFAULT_MODEL
    api.follow(first["reply"]["id"])

    patch(api, cid, {"model": "my-model"})
    second = api.send(cid, "two")
    assert second["reply"]["model"] == "my-model"
    res = api.follow(second["reply"]["id"])
    assert res.last.json["message"]["model"] == "my-model"

    patch(api, cid, {"model": None})
    third = api.send(cid, "three")
    api.follow(third["reply"]["id"])
    replies = [m for m in api.messages(cid) if m["role"] == "assistant"]
    assert [m["model"] for m in replies] == [DEFAULT_MODEL, "my-model", DEFAULT_MODEL]
    for m in replies:
        check_message(m, role="assistant", status="complete")


def test_a_change_while_a_reply_streams_applies_to_the_next_reply(slow_api: Api) -> None:
    cid = slow_api.create_conversation()["id"]
    patch(slow_api, cid, {"model": "before"})
    turn = slow_api.send(cid, "x" * 200)  # ~2 s at the slow server's pace
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as rs:
        ev = rs.next_event()
        assert ev is not None and ev.type == "delta", ev
        assert patch(slow_api, cid, {"model": "after"})["model"] == "after"
        res = rs.read_to_end()
    assert res.last.json["message"]["model"] == "before"
    nxt = slow_api.send(cid, "y")
    assert nxt["reply"]["model"] == "after"
    slow_api.follow(nxt["reply"]["id"])
