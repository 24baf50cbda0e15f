"""PROTOCOL.md section 10, import: the app's own format and ChatGPT's export, row by row,
against the real backend. Export is in test_proto_transfer_export.py.

Import tests each get a fresh server (`make_server`), so counts are theirs alone.
"""

from __future__ import annotations

import json
from typing import Any

from .conftest import ServerFactory
from .support import Api, check_conversation, check_error, parse_time
from .transfer_support import branched, whole_tree


def _import(api: Api, body: Any, raw: bytes | None = None) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    return api.post("/api/import", data=data, headers={"Content-Type": "application/json"})


def _ok_import(api: Api, body: Any = None, raw: bytes | None = None) -> dict[str, Any]:
    r = _import(api, body, raw)
    assert r.status_code == 200, r.text
    result = r.json()
    assert isinstance(result["conversations"], int) and isinstance(result["messages"], int)
    for skip in result["skipped"]:
        assert isinstance(skip["title"], str) and isinstance(skip["reason"], str) and skip["reason"]
    return dict(result)


def _conversations(api: Api) -> list[dict[str, Any]]:
    r = api.get("/api/conversations")
    assert r.status_code == 200
    return [check_conversation(c) for c in r.json()]


# ------------------------------------------------------------------ import: own format


def test_own_export_round_trips_into_another_server(api: Api, make_server: ServerFactory) -> None:
    cid = branched(api, "Round trip ✓")
    source = api.get(f"/api/conversations/{cid}/export").json()["conversations"][0]
    source_path = api.conversation(cid)["messages"]
    with make_server() as srv:
        other = Api(srv.base_url, srv.token)
        result = _ok_import(other, raw=api.get(f"/api/conversations/{cid}/export").content)
        assert (result["conversations"], result["messages"], result["skipped"]) == (1, 5, [])
        (conv,) = _conversations(other)
        assert conv["id"] != cid and conv["title"] == "Round trip ✓"
        tree = whole_tree(other, conv["id"])
        assert not {m["id"] for m in tree} & {m["id"] for m in source["messages"]}  # new ids
        assert [(m["role"], m["content"], m["created_at"]) for m in tree] == [
            (m["role"], m["content"], m["created_at"]) for m in source["messages"]
        ]
        assert all(m["status"] == "complete" for m in tree)
        # the same tree and the same current path
        new_of = {old["id"]: new["id"] for old, new in zip(source["messages"], tree, strict=True)}
        assert [m["parent_id"] for m in tree] == [
            new_of.get(m["parent_id"]) for m in source["messages"]
        ]
        path = other.conversation(conv["id"])["messages"]
        assert [m["id"] for m in path] == [new_of[m["id"]] for m in source_path]


def test_importing_the_same_file_again_adds_nothing(make_server: ServerFactory) -> None:
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        branched(api)
        doc = api.get("/api/export").content
        first = _ok_import(api, raw=doc)
        assert first["conversations"] == 1
        before = _conversations(api)
        again = _ok_import(api, raw=doc)
        assert again["conversations"] == 0 and again["messages"] == 0
        assert _conversations(api) == before


def test_not_json_or_wrong_shape_is_422_and_nothing_is_imported(
    make_server: ServerFactory,
) -> None:
    good = {"title": "good", "mapping": {"a": {"message": None, "parent": None}}}
    bodies = [
        b"",
        b"not json",
        b"\xff\xfe\x00[",
        json.dumps([good, good]).encode()[:-5],  # truncated
        json.dumps([good]).encode() + b" trailing",
        b'"a string"',
        b"42",
        json.dumps({"format": "other", "version": 1, "conversations": []}).encode(),
        json.dumps({"conversations": [{"id": "x", "messages": []}]}).encode(),  # no format
        json.dumps([1, 2, 3]).encode(),
        b"[" * 100_000,
        b'[{"mapping": {}, "create_time": ' + b"9" * 5000 + b"}]",  # a number no one can read
    ]
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        for body in bodies:
            check_error(_import(api, None, raw=body), 422)
        assert _conversations(api) == []


def test_a_late_flaw_undoes_everything(make_server: ServerFactory) -> None:
    convs = [_chatgpt(f"c{i}", f"Chat {i}") for i in range(40)]
    body = json.dumps(convs).encode()
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        check_error(_import(api, None, raw=body[:-3]), 422)  # cut at the very end
        assert _conversations(api) == []
        assert _ok_import(api, raw=body)["conversations"] == 40  # and it was not remembered


def test_a_body_over_one_mib_is_accepted_here(make_server: ServerFactory) -> None:
    big = "word " * 50_000  # 250 KB per message
    convs = [_chatgpt(f"big{i}", f"Big {i}", text=big) for i in range(6)]  # about 3 MB
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        result = _ok_import(api, convs)
        assert result["conversations"] == 6
        check_error(api.post("/api/conversations", data=b"x" * (2 << 20)), 413)  # not elsewhere


# ------------------------------------------------------------------ import: ChatGPT


def _node(
    nid: str,
    parent: str | None,
    role: str | None,
    content: dict[str, Any] | None = None,
    t: float = 0,
    **extra: Any,
) -> dict[str, Any]:
    message = None
    if role is not None:
        message = {"id": nid, "author": {"role": role}, "create_time": 1_700_000_000 + t,
                   "content": content or {"content_type": "text", "parts": [f"text of {nid}"]},
                   "recipient": "all", **extra}  # fmt: skip
    return {"id": nid, "message": message, "parent": parent, "children": []}


def _chatgpt(cid: str, title: str, text: str | None = None) -> dict[str, Any]:
    content = None if text is None else {"content_type": "text", "parts": [text]}
    nodes = [_node("root", None, None), _node("u", "root", "user", content, 1),
             _node("a", "u", "assistant", content, 2)]  # fmt: skip
    return {"title": title, "create_time": 1_700_000_000.5, "update_time": 1_700_000_100.25,
            "conversation_id": cid, "current_node": "a",
            "mapping": {n["id"]: n for n in nodes}}  # fmt: skip


def test_chatgpt_export_keeps_what_a_person_saw(make_server: ServerFactory) -> None:
    hidden = {"is_visually_hidden_from_conversation": True}
    nodes = [
        _node("root", None, None),
        _node("sys", "root", "system", {"content_type": "text", "parts": ["be nice"]}, 0),
        _node(
            "ctx",
            "sys",
            "user",
            {"content_type": "user_editable_context", "user_profile": "x"},
            0.5,
            metadata=hidden,
        ),  # fmt: skip
        _node(
            "u1",
            "ctx",
            "user",
            {
                "content_type": "multimodal_text",
                "parts": [
                    {"content_type": "image_asset_pointer", "asset_pointer": "file-1"},
                    "What is in the picture?",
                ],
            },
            1,
            metadata={
                "attachments": [{"id": "f", "name": "a.pdf", "mime_type": "application/pdf"}]
            },
        ),  # fmt: skip
        _node(
            "th",
            "u1",
            "assistant",
            {
                "content_type": "thoughts",
                "thoughts": [{"summary": "Looking", "content": "secret thinking"}],
            },
            2,
        ),  # fmt: skip
        _node(
            "rr",
            "th",
            "assistant",
            {"content_type": "reasoning_recap", "content": "Thought for 3 seconds"},
            3,
        ),  # fmt: skip
        _node("a1", "rr", "assistant", {"content_type": "text", "parts": ["A cat."]}, 4),
        _node(
            "call",
            "a1",
            "assistant",
            {"content_type": "code", "text": "search()"},
            5,
            recipient="browser",
        ),  # fmt: skip
        _node("tool", "call", "tool", {"content_type": "text", "parts": ["tool output"]}, 6),
        _node("u2", "tool", "user", {"content_type": "text", "parts": ["Thanks!"]}, 7),
        _node("a2", "u2", "assistant", {"content_type": "text", "parts": ["You are welcome."]}, 8),
        _node("a2b", "u2", "assistant", {"content_type": "text", "parts": ["Any time."]}, 9),
    ]
    conv = {"title": "Picture", "create_time": 1_700_000_000, "update_time": 1_700_000_900,
            "conversation_id": "gpt-1", "current_node": "a2",
            "mapping": {n["id"]: n for n in nodes}}  # fmt: skip
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        result = _ok_import(api, [conv])
        assert (result["conversations"], result["messages"], result["skipped"]) == (1, 5, [])
        (listed,) = _conversations(api)
        assert listed["title"] == "Picture"
        assert parse_time(listed["created_at"]).timestamp() == 1_700_000_000
        tree = whole_tree(api, listed["id"])
        assert [(m["role"], m["content"]) for m in tree] == [
            ("user", "[image]\nWhat is in the picture?\n[file]"),
            ("assistant", "A cat."),
            ("user", "Thanks!"),
            ("assistant", "You are welcome."),
            ("assistant", "Any time."),
        ]
        assert all(m["status"] == "complete" for m in tree)
        by_text = {m["content"]: m for m in tree}
        u1 = by_text["[image]\nWhat is in the picture?\n[file]"]
        assert u1["parent_id"] is None  # system and hidden messages left out, re-attached
        assert by_text["A cat."]["parent_id"] == u1["id"]  # thoughts left out of the tree
        assert by_text["Thanks!"]["parent_id"] == by_text["A cat."]["id"]  # tool call and output
        assert by_text["Any time."]["siblings"] == [by_text["You are welcome."]["id"],
                                                     by_text["Any time."]["id"]]  # fmt: skip
        assert parse_time(by_text["A cat."]["created_at"]).timestamp() == 1_700_000_004
        # current_node is the current path
        path = api.conversation(listed["id"])["messages"]
        assert [m["content"] for m in path][-1] == "You are welcome."
        # reasoning is not a message of its own: it is the reasoning of the reply below it,
        # before its text (section 8)
        assert not any("secret thinking" in m["content"] for m in tree)
        cat = by_text["A cat."]
        assert "secret thinking" in cat["reasoning"]
        assert [p["type"] for p in cat["parts"]] == ["reasoning", "text"]
        assert cat["parts"][1]["text"] == "A cat."


def test_unreadable_conversations_are_skipped_and_the_rest_imported(
    make_server: ServerFactory,
) -> None:
    loop = {"x": _node("x", "y", "user"), "y": _node("y", "x", "assistant")}
    cycle = {"title": "Loop", "conversation_id": "loop", "current_node": "x", "mapping": loop}
    lost_head = _chatgpt("lost", "Lost head")
    lost_head["current_node"] = "nowhere"
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        result = _ok_import(
            api, [_chatgpt("ok1", "Fine one"), cycle, "not a conversation", lost_head]
        )
        assert result["conversations"] == 2 and result["messages"] == 4
        assert {s["title"] for s in result["skipped"]} >= {"Loop"}
        assert len(result["skipped"]) == 2
        titles = {c["title"] for c in _conversations(api)}
        assert titles == {"Fine one", "Lost head"}
        lost = next(c for c in _conversations(api) if c["title"] == "Lost head")
        assert lost["head_id"] is not None  # a head all the same: the newest leaf


def test_chatgpt_reimport_adds_nothing_and_duplicates_in_one_file(
    make_server: ServerFactory,
) -> None:
    convs = [_chatgpt("same", "Twice"), _chatgpt("same", "Twice"), _chatgpt("other", "Once")]
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        first = _ok_import(api, convs)
        assert first["conversations"] == 2 and len(first["skipped"]) == 1
        again = _ok_import(api, convs)
        assert again["conversations"] == 0 and again["messages"] == 0
        assert len(_conversations(api)) == 2


def test_import_needs_the_token(api: Api) -> None:
    check_error(api.post("/api/import", data=b"[]", auth=False), 401)
