"""PROTOCOL.md section 7 (branches: nothing is overwritten) and the changed rows of section 3.

Written from the text, row by row, against the real backend on loopback.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .conftest import ServerFactory, run_embedded
from .sse_support import RawStream
from .support import Api, check_conversation, check_error, check_message, check_turn


def _turn(api: Api, cid: str, text: str) -> dict[str, Any]:
    turn = api.send(cid, text)
    api.follow(turn["reply"]["id"])
    return turn


def _detail(api: Api, cid: str) -> dict[str, Any]:
    return api.conversation(cid)


def _ids(messages: list[dict[str, Any]]) -> list[str]:
    return [m["id"] for m in messages]


def _tree(api: Api, cid: str) -> dict[str, Any]:
    r = api.get(f"/api/conversations/{cid}/tree")
    assert r.status_code == 200, r.text
    body = check_conversation(r.json())
    for m in body["messages"]:
        check_message(m)
    return body


def _check_tree_fields(message: dict[str, Any]) -> None:
    assert "parent_id" in message and "siblings" in message, message
    assert message["parent_id"] is None or isinstance(message["parent_id"], str), message
    assert isinstance(message["siblings"], list), message
    assert message["id"] in message["siblings"], message


# ------------------------------------------------------------------ the tree's fields


def test_parent_ids_and_siblings_of_a_conversation_that_never_branched(api: Api) -> None:
    cid = api.create_conversation("plain")["id"]
    assert _detail(api, cid)["head_id"] is None  # null when empty
    t1 = _turn(api, cid, "one")
    t2 = _turn(api, cid, "two")
    body = _detail(api, cid)
    msgs = body["messages"]
    for m in msgs:
        _check_tree_fields(m)
        assert m["siblings"] == [m["id"]]  # no alternatives
    assert _ids(msgs) == [t1["message"]["id"], t1["reply"]["id"], t2["message"]["id"],
                          t2["reply"]["id"]]  # fmt: skip
    assert [m["parent_id"] for m in msgs] == [None, *_ids(msgs)[:-1]]
    assert body["head_id"] == t2["reply"]["id"]  # the last message of the current path
    # a conversation that never branched: the tree is every message, exactly the path
    assert _ids(_tree(api, cid)["messages"]) == _ids(msgs)
    # every Conversation carries head_id
    listed = [c for c in api.get("/api/conversations").json() if c["id"] == cid]
    assert listed and listed[0]["head_id"] == t2["reply"]["id"]


def test_turn_messages_carry_parent_and_siblings(api: Api) -> None:
    cid = api.create_conversation()["id"]
    turn = api.send(cid, "hello")
    _check_tree_fields(turn["message"])
    _check_tree_fields(turn["reply"])
    assert turn["message"]["parent_id"] is None
    assert turn["reply"]["parent_id"] == turn["message"]["id"]
    end = api.follow(turn["reply"]["id"]).last.json["message"]
    _check_tree_fields(end)


def test_a_new_message_is_appended_below_the_head(api: Api) -> None:
    cid = api.create_conversation()["id"]
    first = _turn(api, cid, "first")
    regen = api.post(f"/api/messages/{first['reply']['id']}/regenerate").json()
    api.follow(regen["reply"]["id"])
    nxt = _turn(api, cid, "next")
    assert nxt["message"]["parent_id"] == regen["reply"]["id"]  # the head, not the old reply


# ------------------------------------------------------------------ regenerate


def test_regenerate_any_reply_adds_a_sibling_and_makes_it_the_head(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = _turn(api, cid, "alpha")
    t2 = _turn(api, cid, "beta")
    r = api.post(f"/api/messages/{t1['reply']['id']}/regenerate")  # not the last reply
    assert r.status_code == 202, r.text
    turn = check_turn(r.json(), cid=cid)
    reply = turn["reply"]
    assert reply["status"] == "streaming"
    assert reply["parent_id"] == t1["reply"]["parent_id"] == t1["message"]["id"]
    assert turn["message"]["id"] == t1["message"]["id"]
    assert api.follow(reply["id"]).text == "alpha"
    body = _detail(api, cid)
    assert body["head_id"] == reply["id"]
    assert _ids(body["messages"]) == [t1["message"]["id"], reply["id"]]
    assert body["messages"][1]["siblings"] == [t1["reply"]["id"], reply["id"]]  # creation order
    # nothing is deleted
    everything = _ids(_tree(api, cid)["messages"])
    for m in (t1["message"], t1["reply"], t2["message"], t2["reply"], reply):
        assert m["id"] in everything


def test_regenerate_twice_gives_three_alternatives(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = _turn(api, cid, "again")
    second = api.post(f"/api/messages/{t1['reply']['id']}/regenerate").json()["reply"]
    api.follow(second["id"])
    third = api.post(f"/api/messages/{second['id']}/regenerate").json()["reply"]
    api.follow(third["id"])
    last = _detail(api, cid)["messages"][-1]
    assert last["siblings"] == [t1["reply"]["id"], second["id"], third["id"]]


# ------------------------------------------------------------------ edit


def test_edit_any_user_message_adds_a_sibling_with_a_reply_below(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = _turn(api, cid, "first")
    t2 = _turn(api, cid, "second")
    r = api.patch(f"/api/messages/{t2['message']['id']}", json={"content": "second, edited"})
    assert r.status_code == 202, r.text
    turn = check_turn(r.json(), cid=cid, content="second, edited")
    user, reply = turn["message"], turn["reply"]
    assert user["id"] != t2["message"]["id"]
    assert user["parent_id"] == t2["message"]["parent_id"] == t1["reply"]["id"]
    assert reply["parent_id"] == user["id"] and reply["status"] == "streaming"
    api.follow(reply["id"])
    body = _detail(api, cid)
    assert body["head_id"] == reply["id"]
    assert _ids(body["messages"]) == [t1["message"]["id"], t1["reply"]["id"], user["id"],
                                      reply["id"]]  # fmt: skip
    assert body["messages"][2]["siblings"] == [t2["message"]["id"], user["id"]]
    original = [m for m in _tree(api, cid)["messages"] if m["id"] == t2["message"]["id"]]
    assert original and original[0]["content"] == "second"  # kept, unchanged


def test_edit_the_first_message_makes_a_second_root(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = _turn(api, cid, "root one")
    edited = api.patch(f"/api/messages/{t1['message']['id']}", json={"content": "root two"})
    assert edited.status_code == 202
    user = edited.json()["message"]
    api.follow(edited.json()["reply"]["id"])
    assert user["parent_id"] is None
    assert user["siblings"] == [t1["message"]["id"], user["id"]]


def test_regenerate_and_edit_are_409_while_a_reply_streams(slow_api: Api) -> None:
    from .test_proto_resources import LONG

    cid = slow_api.create_conversation()["id"]
    first = _turn(slow_api, cid, "short")
    live = slow_api.send(cid, LONG)
    try:
        check_error(slow_api.post(f"/api/messages/{first['reply']['id']}/regenerate"), 409)
        check_error(
            slow_api.patch(f"/api/messages/{first['message']['id']}", json={"content": "x"}), 409
        )
        check_error(
            slow_api.put(
                f"/api/conversations/{cid}/head", json={"message_id": first["reply"]["id"]}
            ),
            409,
        )
    finally:
        slow_api.cancel(live["reply"]["id"])
    slow_api.follow(live["reply"]["id"])
    assert len(_tree(slow_api, cid)["messages"]) == 4  # nothing was added


# ------------------------------------------------------------------ PUT head


def _branched(api: Api) -> dict[str, Any]:
    """u1 -> a1 -> u2 -> a2, with a1' (a regeneration of a1) and a2' (of a2)."""
    cid = api.create_conversation("branched")["id"]
    t1 = _turn(api, cid, "u1")
    t2 = _turn(api, cid, "u2")
    a2b = api.post(f"/api/messages/{t2['reply']['id']}/regenerate").json()["reply"]
    api.follow(a2b["id"])
    a1b = api.post(f"/api/messages/{t1['reply']['id']}/regenerate").json()["reply"]
    api.follow(a1b["id"])
    return {"cid": cid, "u1": t1["message"]["id"], "a1": t1["reply"]["id"],
            "u2": t2["message"]["id"], "a2": t2["reply"]["id"], "a2b": a2b["id"],
            "a1b": a1b["id"]}  # fmt: skip


def test_put_head_follows_the_newest_child_down_to_a_leaf(api: Api) -> None:
    b = _branched(api)
    assert _detail(api, b["cid"])["head_id"] == b["a1b"]
    r = api.put(f"/api/conversations/{b['cid']}/head", json={"message_id": b["a1"]})
    assert r.status_code == 200, r.text
    body = check_conversation(r.json())
    # from the root down to a1, then the most recently created child at each step
    assert _ids(body["messages"]) == [b["u1"], b["a1"], b["u2"], b["a2b"]]
    assert body["head_id"] == b["a2b"]
    assert _ids(_detail(api, b["cid"])["messages"]) == _ids(body["messages"])
    # X itself a leaf: the path ends at X
    r = api.put(f"/api/conversations/{b['cid']}/head", json={"message_id": b["a2"]})
    assert _ids(r.json()["messages"]) == [b["u1"], b["a1"], b["u2"], b["a2"]]
    # X a root: down to the newest leaf below it
    r = api.put(f"/api/conversations/{b['cid']}/head", json={"message_id": b["u1"]})
    assert _ids(r.json()["messages"]) == [b["u1"], b["a1b"]]


def test_put_head_404_for_a_message_not_in_this_conversation(api: Api) -> None:
    b = _branched(api)
    other = api.create_conversation()["id"]
    foreign = _turn(api, other, "elsewhere")["reply"]["id"]
    before = _detail(api, b["cid"])
    check_error(api.put(f"/api/conversations/{b['cid']}/head", json={"message_id": foreign}), 404)
    check_error(api.put(f"/api/conversations/{b['cid']}/head", json={"message_id": "nope"}), 404)
    check_error(api.put("/api/conversations/nope/head", json={"message_id": b["a1"]}), 404)
    assert _detail(api, b["cid"]) == before


def test_put_head_body_must_name_a_message(api: Api) -> None:
    cid = api.create_conversation()["id"]
    bodies: list[object] = [{}, {"message_id": 5}, {"message_id": None}, []]
    for body in bodies:
        check_error(api.put(f"/api/conversations/{cid}/head", json=body), 422)


# ------------------------------------------------------------------ DELETE


def test_delete_removes_the_message_and_everything_below(api: Api) -> None:
    b = _branched(api)
    api.put(f"/api/conversations/{b['cid']}/head", json={"message_id": b["a2"]})
    r = api.delete(f"/api/messages/{b['a1']}")
    assert r.status_code == 204, r.text
    remaining = _ids(_tree(api, b["cid"])["messages"])
    assert remaining == [b["u1"], b["a1b"]]
    for gone in ("a1", "u2", "a2", "a2b"):
        check_error(api.get(f"/api/messages/{b[gone]}/events"), 404)
        check_error(api.delete(f"/api/messages/{b[gone]}"), 404)
    # the head was below a1: the new head is the leaf from a1's newest remaining sibling
    body = _detail(api, b["cid"])
    assert body["head_id"] == b["a1b"] and _ids(body["messages"]) == [b["u1"], b["a1b"]]
    assert body["messages"][1]["siblings"] == [b["a1b"]]


def test_delete_without_siblings_moves_the_head_to_the_parent(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = _turn(api, cid, "keep")
    t2 = _turn(api, cid, "drop")
    assert api.delete(f"/api/messages/{t2['message']['id']}").status_code == 204
    body = _detail(api, cid)
    assert body["head_id"] == t1["reply"]["id"]
    assert _ids(body["messages"]) == [t1["message"]["id"], t1["reply"]["id"]]
    # and the whole conversation: the head is null
    assert api.delete(f"/api/messages/{t1['message']['id']}").status_code == 204
    body = _detail(api, cid)
    assert body["head_id"] is None and body["messages"] == []


def test_delete_off_the_current_path_leaves_the_head(api: Api) -> None:
    b = _branched(api)
    before = _detail(api, b["cid"])
    assert api.delete(f"/api/messages/{b['a2b']}").status_code == 204
    after = _detail(api, b["cid"])
    assert after["head_id"] == before["head_id"] == b["a1b"]
    assert _ids(after["messages"]) == _ids(before["messages"])


def test_delete_cancels_a_reply_streaming_there_first(slow_api: Api) -> None:
    from .test_proto_resources import LONG

    cid = slow_api.create_conversation()["id"]
    first = _turn(slow_api, cid, "stay")
    live = slow_api.send(cid, LONG)
    with RawStream(slow_api.events_url(live["reply"]["id"]), headers=slow_api.auth_headers()) as rs:
        ev = rs.next_event()
        assert ev is not None and ev.type == "delta"
        assert slow_api.delete(f"/api/messages/{live['message']['id']}").status_code == 204
        result = rs.read_to_end()
    assert result.last.type == "end"
    assert result.last.json["message"]["status"] == "cancelled"
    body = _detail(slow_api, cid)
    assert body["head_id"] == first["reply"]["id"]
    # the conversation is free again: a new turn is accepted at once
    nxt = slow_api.send(cid, "after")
    slow_api.cancel(nxt["reply"]["id"])
    slow_api.follow(nxt["reply"]["id"])


def test_delete_unknown_message_is_404(api: Api) -> None:
    check_error(api.delete("/api/messages/does-not-exist"), 404)


def test_tree_of_unknown_conversation_is_404(api: Api) -> None:
    check_error(api.get("/api/conversations/nope/tree"), 404)


def test_tree_lists_every_branch_in_creation_order(api: Api) -> None:
    b = _branched(api)
    tree = _tree(api, b["cid"])
    assert _ids(tree["messages"]) == [b["u1"], b["a1"], b["u2"], b["a2"], b["a2b"], b["a1b"]]
    by_id = {m["id"]: m for m in tree["messages"]}
    assert by_id[b["a2b"]]["parent_id"] == b["u2"] and by_id[b["a1b"]]["parent_id"] == b["u1"]
    assert by_id[b["a1"]]["siblings"] == [b["a1"], b["a1b"]]


# ------------------------------------------------------------------ migration


SHIPPED_SCHEMA = """
CREATE TABLE conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX conversations_by_update ON conversations (updated_at);
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('complete', 'streaming', 'cancelled', 'failed', 'interrupted')),
    created_at TEXT NOT NULL, error TEXT, provider TEXT, model TEXT,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_by_status ON messages (status);
PRAGMA user_version = 1;
"""


def test_a_database_of_the_first_version_becomes_one_path(tmp_path: Path) -> None:
    """Section 7: "its messages form one path in their old order" (a v1 file, made by hand)."""
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "chat.sqlite3")
    conn.executescript(SHIPPED_SCHEMA)
    conn.execute(
        "INSERT INTO conversations VALUES ('c1', 'From v1', ?, ?)", ("2024-01-01T00:00:00Z",) * 2
    )
    for seq, role in ((2, "assistant"), (1, "user"), (4, "assistant"), (3, "user")):
        conn.execute(
            "INSERT INTO messages (id, conversation_id, seq, role, content, status, created_at)"
            " VALUES (?, 'c1', ?, ?, ?, 'complete', '2024-01-01T00:00:00Z')",
            (f"m{seq}", seq, role, f"text {seq}"),
        )
    conn.commit()
    conn.close()
    with run_embedded(data) as srv:
        api = Api(srv.base_url, srv.token)
        body = api.conversation("c1")
        assert _ids(body["messages"]) == ["m1", "m2", "m3", "m4"]
        assert [m["parent_id"] for m in body["messages"]] == [None, "m1", "m2", "m3"]
        assert body["head_id"] == "m4"
        assert all(m["siblings"] == [m["id"]] for m in body["messages"])
        nxt = api.send("c1", "more")
        assert nxt["message"]["parent_id"] == "m4"
        api.follow(nxt["reply"]["id"])


def test_branch_state_survives_a_restart(make_server: ServerFactory, tmp_path: Path) -> None:
    data = tmp_path / "restart"
    with run_embedded(data) as srv:
        api = Api(srv.base_url, srv.token)
        b = _branched(api)
        api.put(f"/api/conversations/{b['cid']}/head", json={"message_id": b["a2"]})
        before = _detail(api, b["cid"])
    with run_embedded(data) as srv:
        after = Api(srv.base_url, srv.token).conversation(b["cid"])
    assert after == before
