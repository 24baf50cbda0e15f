"""PROTOCOL.md sections 2-3: resources and every row of the route table."""

from __future__ import annotations

from typing import Any

from tests.support.waiting import wait_until

from .sse_support import RawStream
from .support import (
    Api,
    check_4xx_error,
    check_conversation,
    check_error,
    check_message,
    check_turn,
    parse_time,
    wait_clock_past,
)

LONG = "".join(f"w{i:03d} " for i in range(60)).strip()  # ~300 chars, ~3 s at 0.01 s/char


def _first_delta(rs: RawStream) -> None:
    ev = rs.next_event()
    assert ev is not None and ev.type == "delta", ev


# ------------------------------------------------------------------ conversations


def test_create_conversation_201_with_and_without_title(api: Api) -> None:
    r = api.post("/api/conversations", json={"title": "Groceries ✓"})
    assert r.status_code == 201, r.text
    conv = check_conversation(r.json())
    assert conv["title"] == "Groceries ✓"

    r = api.post("/api/conversations", json={})
    assert r.status_code == 201, r.text
    other = check_conversation(r.json())
    assert other["id"] != conv["id"]
    assert parse_time(other["created_at"]) >= parse_time(conv["created_at"])


def test_get_conversation_is_conversation_plus_messages(api: Api) -> None:
    conv = api.create_conversation("Empty")
    r = api.get(f"/api/conversations/{conv['id']}")
    assert r.status_code == 200
    body = check_conversation(r.json())
    assert body["messages"] == []
    for key in ("id", "title", "created_at", "updated_at"):
        assert body[key] == conv[key]


def test_list_is_most_recently_updated_first(api: Api) -> None:
    made = []
    for name in ("first", "second", "third"):
        conv = api.create_conversation(name)
        made.append(conv["id"])
        wait_clock_past(conv["updated_at"])

    def ours() -> list[dict[str, Any]]:
        r = api.get("/api/conversations")
        assert r.status_code == 200
        listed = [check_conversation(c) for c in r.json()]
        times = [parse_time(c["updated_at"]) for c in listed]
        assert times == sorted(times, reverse=True), "list is not by updated_at, newest first"
        return [c for c in listed if c["id"] in made]

    assert [c["id"] for c in ours()] == made[::-1]

    r = api.patch(f"/api/conversations/{made[0]}", json={"title": "renamed"})
    assert r.status_code == 200, r.text
    assert [c["id"] for c in ours()] == [made[0], made[2], made[1]]


def test_patch_conversation_renames(api: Api) -> None:
    conv = api.create_conversation("old")
    wait_clock_past(conv["updated_at"])
    r = api.patch(f"/api/conversations/{conv['id']}", json={"title": "new"})
    assert r.status_code == 200, r.text
    body = check_conversation(r.json())
    assert body["id"] == conv["id"]
    assert body["title"] == "new"
    assert body["created_at"] == conv["created_at"]
    assert parse_time(body["updated_at"]) > parse_time(conv["updated_at"])
    assert api.conversation(conv["id"])["title"] == "new"


def test_delete_conversation_204_then_404(api: Api) -> None:
    cid, turn = api.new_turn("bye")
    api.follow(turn["reply"]["id"])
    r = api.delete(f"/api/conversations/{cid}")
    assert r.status_code == 204, r.text
    assert r.content == b""
    check_error(api.get(f"/api/conversations/{cid}"), 404)
    check_error(api.delete(f"/api/conversations/{cid}"), 404)
    check_error(api.post(f"/api/conversations/{cid}/messages", json={"content": "x"}), 404)
    assert cid not in [c["id"] for c in api.get("/api/conversations").json()]
    check_error(api.get(f"/api/messages/{turn['reply']['id']}/events"), 404)


def test_delete_cancels_a_streaming_reply(slow_api: Api) -> None:
    cid, turn = slow_api.new_turn(LONG)
    with RawStream(slow_api.events_url(turn["reply"]["id"]), headers=slow_api.auth_headers()) as rs:
        _first_delta(rs)
        r = slow_api.delete(f"/api/conversations/{cid}")
        assert r.status_code == 204, r.text
        res = rs.read_to_end(deadline=5)
    end = res.last
    assert end.type == "end", end
    msg = end.json["message"]
    assert msg["status"] == "cancelled", msg
    assert LONG.startswith(msg["content"]) and len(msg["content"]) < len(LONG)
    check_error(slow_api.get(f"/api/conversations/{cid}"), 404)


# ------------------------------------------------------------------ messages


def test_post_message_202_turn(api: Api) -> None:
    cid = api.create_conversation()["id"]
    r = api.post(f"/api/conversations/{cid}/messages", json={"content": "Hello"})
    assert r.status_code == 202, r.text
    turn = r.json()
    check_turn(turn, cid=cid, content="Hello")
    res = api.follow(turn["reply"]["id"])
    assert res.last.json["message"]["id"] == turn["reply"]["id"]
    assert res.last.json["message"]["status"] == "complete"
    assert res.text == "Hello"


def test_messages_are_oldest_first(api: Api) -> None:
    cid = api.create_conversation()["id"]
    expected = []
    for text in ("one", "two", "three"):
        turn = api.send(cid, text)
        api.follow(turn["reply"]["id"])
        expected += [
            (turn["message"]["id"], "user", text),
            (turn["reply"]["id"], "assistant", text),
        ]
    msgs = api.messages(cid)
    assert [(m["id"], m["role"], m["content"]) for m in msgs] == expected
    assert all(m["conversation_id"] == cid for m in msgs)
    assert all(m["status"] == "complete" for m in msgs if m["role"] == "assistant")
    times = [parse_time(m["created_at"]) for m in msgs]
    assert times == sorted(times)


def test_post_while_streaming_is_409(slow_api: Api) -> None:
    cid, turn = slow_api.new_turn(LONG)
    r = slow_api.post(f"/api/conversations/{cid}/messages", json={"content": "again"})
    check_error(r, 409)
    assert slow_api.message(cid, turn["reply"]["id"])["status"] == "streaming"
    # other conversations are not blocked
    other, other_turn = slow_api.new_turn("x")
    slow_api.follow(other_turn["reply"]["id"])
    assert slow_api.cancel(turn["reply"]["id"]).status_code == 202
    slow_api.follow(turn["reply"]["id"])
    assert len(slow_api.messages(cid)) == 2
    turn2 = slow_api.send(cid, "after")
    assert slow_api.follow(turn2["reply"]["id"]).text == "after"


def test_events_of_a_user_message_is_400(api: Api) -> None:
    cid, turn = api.new_turn("question")
    check_error(api.get(f"/api/messages/{turn['message']['id']}/events"), 400)
    api.follow(turn["reply"]["id"])
    check_error(api.get(f"/api/messages/{turn['message']['id']}/events"), 400)


# ------------------------------------------------------------------ cancel


def test_cancel_mid_stream_ends_cancelled_and_keeps_partial(slow_api: Api) -> None:
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as rs:
        _first_delta(rs)
        r = slow_api.cancel(rid)
        assert r.status_code == 202, r.text
        res = rs.read_to_end(deadline=5)
    msg = res.last.json["message"]
    assert res.last.type == "end"
    assert msg["status"] == "cancelled"
    assert msg["content"] == res.text
    assert 0 < len(msg["content"]) < len(LONG)
    assert LONG.startswith(msg["content"])
    assert res.last.id == str(len(msg["content"]))
    stored = slow_api.message(cid, rid)
    assert stored["status"] == "cancelled"
    assert stored["content"] == msg["content"]
    # a late subscriber sees the same partial reply and `end`
    late = slow_api.follow(rid)
    assert late.text == msg["content"]
    assert late.last.json["message"]["status"] == "cancelled"


def test_cancel_finished_reply_is_noop_202(api: Api) -> None:
    cid, turn = api.new_turn("done already")
    rid = turn["reply"]["id"]
    api.follow(rid)
    before = api.messages(cid)
    for _ in range(2):
        r = api.cancel(rid)
        assert r.status_code == 202, r.text
    after = api.messages(cid)
    assert after == before
    assert after[-1]["status"] == "complete"
    assert after[-1]["content"] == "done already"


def test_cancel_cancelled_reply_is_noop_202(slow_api: Api) -> None:
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    assert slow_api.cancel(rid).status_code == 202
    first = slow_api.follow(rid).last.json["message"]
    assert first["status"] == "cancelled"
    assert slow_api.cancel(rid).status_code == 202
    assert slow_api.message(cid, rid) == first


# ------------------------------------------------------------------ regenerate


def test_regenerate_last_assistant(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = api.send(cid, "first")
    api.follow(t1["reply"]["id"])
    t2 = api.send(cid, "second")
    api.follow(t2["reply"]["id"])

    r = api.post(f"/api/messages/{t2['reply']['id']}/regenerate")
    assert r.status_code == 202, r.text
    turn = r.json()
    check_turn(turn, cid=cid)
    assert turn["message"]["id"] == t2["message"]["id"]
    assert turn["message"]["content"] == "second"
    new_id = turn["reply"]["id"]
    assert new_id != t2["reply"]["id"]
    assert api.follow(new_id).text == "second"
    msgs = api.messages(cid)
    assert [m["id"] for m in msgs] == [
        t1["message"]["id"],
        t1["reply"]["id"],
        t2["message"]["id"],
        new_id,
    ]
    assert msgs[-1]["status"] == "complete" and msgs[-1]["content"] == "second"
    # the old reply is kept beside the new one (section 7)
    assert msgs[-1]["siblings"] == [t2["reply"]["id"], new_id]
    assert api.get(f"/api/messages/{t2['reply']['id']}/events").status_code == 200


def test_regenerate_refuses_user_messages(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = api.send(cid, "first")
    api.follow(t1["reply"]["id"])
    before = api.messages(cid)
    check_4xx_error(api.post(f"/api/messages/{t1['message']['id']}/regenerate"))
    assert api.messages(cid) == before


# ------------------------------------------------------------------ edit and resend


def test_edit_user_message_adds_a_copy_and_starts_reply(api: Api) -> None:
    cid = api.create_conversation()["id"]
    t1 = api.send(cid, "first")
    api.follow(t1["reply"]["id"])
    t2 = api.send(cid, "second")
    api.follow(t2["reply"]["id"])

    r = api.patch(f"/api/messages/{t1['message']['id']}", json={"content": "first, edited"})
    assert r.status_code == 202, r.text
    turn = r.json()
    check_turn(turn, cid=cid, content="first, edited")
    assert turn["message"]["id"] != t1["message"]["id"]
    assert api.follow(turn["reply"]["id"]).text == "first, edited"
    msgs = api.messages(cid)
    assert [(m["id"], m["content"]) for m in msgs] == [
        (turn["message"]["id"], "first, edited"),
        (turn["reply"]["id"], "first, edited"),
    ]
    for kept in (t1["reply"]["id"], t2["reply"]["id"]):  # nothing is deleted
        assert api.get(f"/api/messages/{kept}/events").status_code == 200


def test_edit_refuses_assistant_message(api: Api) -> None:
    cid, turn = api.new_turn("hello")
    api.follow(turn["reply"]["id"])
    before = api.messages(cid)
    check_4xx_error(api.patch(f"/api/messages/{turn['reply']['id']}", json={"content": "x"}))
    assert api.messages(cid) == before


def test_message_shapes(api: Api) -> None:
    cid, turn = api.new_turn("shape")
    api.follow(turn["reply"]["id"])
    user, reply = api.messages(cid)
    check_message(user, role="user")
    check_message(reply, role="assistant", status="complete")
    assert user["id"] == turn["message"]["id"]
    assert reply["id"] == turn["reply"]["id"]


def test_closing_the_stream_does_not_stop_generation(slow_api: Api) -> None:
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as rs:
        _first_delta(rs)
    # nobody is listening now; the reply must still run to its end
    done = slow_api.wait_done(cid, rid, timeout=20)
    assert done["status"] == "complete"
    assert done["content"] == LONG


def test_reply_runs_without_any_subscriber(api: Api) -> None:
    cid, turn = api.new_turn("nobody listens")
    done = wait_until(
        lambda: (m := api.message(cid, turn["reply"]["id"]))["status"] == "complete" and m,
        timeout=10,
        what="unobserved reply to complete",
    )
    assert done["content"] == "nobody listens"
