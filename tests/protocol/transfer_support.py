"""What both transfer test files (PROTOCOL.md section 10) build on: conversations with
finished turns and a branch, and a conversation's whole tree."""

from __future__ import annotations

from typing import Any

from .support import Api, check_message


def said(api: Api, cid: str, text: str) -> dict[str, Any]:
    turn = api.send(cid, text)
    api.follow(turn["reply"]["id"])
    return turn


def branched(api: Api, title: str = "Trip plans") -> str:
    cid = api.create_conversation(title)["id"]
    t1 = said(api, cid, "where to?")
    said(api, cid, "and when?")
    regen = api.post(f"/api/messages/{t1['reply']['id']}/regenerate").json()["reply"]
    api.follow(regen["id"])
    return cid


def whole_tree(api: Api, cid: str) -> list[dict[str, Any]]:
    r = api.get(f"/api/conversations/{cid}/tree")
    assert r.status_code == 200, r.text
    return [check_message(m) for m in r.json()["messages"]]
