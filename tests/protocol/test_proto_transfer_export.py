"""PROTOCOL.md section 10, export: Markdown and JSON, one conversation or all, row by row,
against the real backend. Import is in test_proto_transfer_import.py."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from .conftest import ServerFactory
from .support import Api, check_conversation, check_error, parse_time
from .transfer_support import branched, said, whole_tree


def _filename(resp: Any) -> str:
    found = re.search(r'filename="([^"]*)"', resp.headers.get("content-disposition", ""))
    assert found, resp.headers
    return found.group(1)


# ------------------------------------------------------------------ export


def test_markdown_export(api: Api) -> None:
    cid = api.create_conversation("Week plan")["id"]
    said(api, cid, "Monday: **gym**")
    r = api.get(f"/api/conversations/{cid}/export", params={"format": "markdown"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment") and _filename(r) == "Week plan.md"
    text = r.content.decode("utf-8")
    assert text.startswith("# Week plan\n")
    user_at, reply_at = text.index("User"), text.index("Assistant")
    assert user_at < text.index("Monday: **gym**") < reply_at  # under its role, in order
    assert text.count("Monday: **gym**") == 2


def test_markdown_export_puts_reasoning_in_details_before_the_text(api: Api) -> None:
    cid = api.create_conversation("Thinking")["id"]
    said(api, cid, "<think>plan it</think>Answer")  # the echo reasons (section 8)
    text = api.get(f"/api/conversations/{cid}/export", params={"format": "markdown"}).text
    reply = text[text.index("Assistant") :]
    assert reply.index("<details>") < reply.index("plan it") < reply.index("</details>")
    assert reply.index("</details>") < reply.index("Answer")


def test_markdown_export_is_the_current_path(api: Api) -> None:
    cid = api.create_conversation("Paths")["id"]
    turn = said(api, cid, "original question")
    edited = api.patch(f"/api/messages/{turn['message']['id']}", json={"content": "edited one"})
    api.follow(edited.json()["reply"]["id"])
    text = api.get(f"/api/conversations/{cid}/export", params={"format": "markdown"}).text
    assert "edited one" in text and "original question" not in text


def test_export_file_names_are_safe(api: Api) -> None:
    cid = api.create_conversation('a/b\\c:"d"<e>|f?*')["id"]
    for fmt, ext in (("markdown", ".md"), ("json", ".json")):
        r = api.get(f"/api/conversations/{cid}/export", params={"format": fmt})
        name = _filename(r)
        assert name.endswith(ext) and not re.search(r'[/\\:"<>|?*\x00-\x1f]', name), name
        star = re.search(r"filename\*=UTF-8''([^;]+)", r.headers["content-disposition"])
        if star:  # the UTF-8 name, if given, is as safe
            assert not re.search(r'[/\\:"<>|?*]', unquote(star.group(1)))
    cid = api.create_conversation("..")["id"]
    name = _filename(api.get(f"/api/conversations/{cid}/export", params={"format": "markdown"}))
    assert name.endswith(".md") and not name.startswith(".")


def test_json_export_of_one_conversation_has_every_branch(api: Api) -> None:
    cid = branched(api)
    r = api.get(f"/api/conversations/{cid}/export")  # format=json is the default
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert _filename(r) == "Trip plans.json"
    doc = r.json()
    assert doc["format"] == "sse-chat" and doc["version"] == 1
    parse_time(doc["exported_at"])
    assert len(doc["conversations"]) == 1
    conv = check_conversation(doc["conversations"][0])
    assert conv["id"] == cid and conv["head_id"] == api.conversation(cid)["head_id"]
    assert [m["id"] for m in conv["messages"]] == [m["id"] for m in whole_tree(api, cid)]
    assert len(conv["messages"]) == 5
    explicit = api.get(f"/api/conversations/{cid}/export", params={"format": "json"}).json()
    assert explicit["conversations"] == doc["conversations"]


def test_export_errors(api: Api) -> None:
    check_error(api.get("/api/conversations/nope/export"), 404)
    cid = api.create_conversation()["id"]
    check_error(api.get(f"/api/conversations/{cid}/export", params={"format": "pdf"}), 422)
    check_error(api.get("/api/export", auth=False), 401)


def test_export_all_holds_every_conversation(make_server: ServerFactory) -> None:
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        made = {branched(api, f"conv {i}") for i in range(3)}
        made.add(api.create_conversation("empty")["id"])
        r = api.get("/api/export")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        doc = r.json()
        assert doc["format"] == "sse-chat" and doc["version"] == 1
        assert {c["id"] for c in doc["conversations"]} == made
        for conv in doc["conversations"]:
            ids = [m["id"] for m in whole_tree(api, conv["id"])]
            assert [m["id"] for m in conv["messages"]] == ids
