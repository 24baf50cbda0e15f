"""Smoke tests of turns over real HTTP: send, stream, resume, cancel, regenerate, edit."""

from __future__ import annotations

import json

from backend.config import Settings
from tests.support.backend_helpers import Api, read_until_outcome, text_of


def test_a_turn_streams_the_echo_then_ends_with_the_stored_message(api: Api) -> None:
    conv = api.conversation("Greetings")
    turn = api.send(conv["id"], "Hi 😀\n")
    assert turn["events_url"] == f"/api/messages/{turn['reply']['id']}/events"
    assert turn["reply"]["status"] == "streaming" and turn["message"]["content"] == "Hi 😀\n"

    events = api.events(turn["reply"]["id"])
    assert text_of(events) == "Hi 😀\n"
    assert [int(e.last_event_id) for e in events] == sorted(int(e.last_event_id) for e in events)
    end = events[-1]
    assert end.type == "end" and end.last_event_id == "5"
    message = json.loads(end.data or "")["message"]
    assert (message["content"], message["status"]) == ("Hi 😀\n", "complete")

    detail = api.get(f"/api/conversations/{conv['id']}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    assert detail["messages"][1] == message


def test_resume_from_last_event_id(api: Api) -> None:
    conv = api.conversation()
    reply = api.send(conv["id"], "abc😀def")["reply"]["id"]
    api.events(reply)  # finished now
    events = api.events(reply, last_event_id="3")
    assert [e.type for e in events] == ["delta", "end"]
    assert text_of(events) == "😀def"
    by_query = api.get(f"/api/messages/{reply}/events", params={"last_event_id": "6"})
    assert 'data: {"text": "f"}' in by_query.text
    assert by_query.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert by_query.headers["cache-control"] == "no-cache"
    assert by_query.headers["x-accel-buffering"] == "no"


def test_bad_event_requests(api: Api) -> None:
    conv = api.conversation()
    turn = api.send(conv["id"], "hi")
    reply = turn["reply"]["id"]
    api.events(reply)
    assert (
        api.get(f"/api/messages/{reply}/events", headers={"Last-Event-ID": "3"}).status_code == 400
    )
    assert (
        api.get(f"/api/messages/{reply}/events", headers={"Last-Event-ID": "x"}).status_code == 400
    )
    assert api.get(f"/api/messages/{turn['message']['id']}/events").status_code == 400
    missing = api.get("/api/messages/nope/events")
    assert missing.status_code == 404 and missing.json() == {"detail": "Message not found"}


def test_a_second_turn_while_streaming_is_409_and_cancel_ends_it(stalling_api: Api) -> None:
    api = stalling_api
    conv = api.conversation()
    reply = api.send(conv["id"], "hello")["reply"]["id"]
    with api.open_events(reply) as source:
        first = next(source)
        assert first.type == "delta" and json.loads(first.data or "") == {"text": "part"}
        busy = api.post(f"/api/conversations/{conv['id']}/messages", json={"content": "again"})
        assert busy.status_code == 409
        assert api.post(f"/api/messages/{reply}/regenerate").status_code == 409
        assert api.post(f"/api/messages/{reply}/cancel").status_code == 202
        end = read_until_outcome(source)[-1]
    message = json.loads(end.data or "")["message"]
    assert (end.type, message["status"], message["content"]) == ("end", "cancelled", "part")
    assert api.post(f"/api/messages/{reply}/cancel").status_code == 202  # no-op now
    assert api.send(conv["id"], "again")["reply"]["status"] == "streaming"


def test_a_failing_responder_ends_with_error_for_early_and_late_subscribers(
    failing_api: Api,
) -> None:
    api = failing_api
    conv = api.conversation()
    reply = api.send(conv["id"], "hello")["reply"]["id"]
    for _ in range(2):  # the first may be live, the second reads the store
        events = api.events(reply)
        assert text_of(events) == "ab" and events[-1].type == "error"
        data = json.loads(events[-1].data or "")
        assert data["detail"] == "The responder failed: boom"
        assert data["message"]["status"] == "failed"


def test_regenerate_and_edit(api: Api) -> None:
    conv = api.conversation()
    first = api.send(conv["id"], "one")
    api.events(first["reply"]["id"])
    second = api.send(conv["id"], "two")
    api.events(second["reply"]["id"])

    old_reply = first["reply"]["id"]
    assert api.post(f"/api/messages/{second['message']['id']}/regenerate").status_code == 400
    again = api.post(f"/api/messages/{old_reply}/regenerate")  # not the last: a branch
    assert again.status_code == 202
    assert again.json()["message"]["id"] == first["message"]["id"]
    assert text_of(api.events(again.json()["reply"]["id"])) == "one"

    edited = api.patch(f"/api/messages/{first['message']['id']}", json={"content": "uno"})
    assert edited.status_code == 202
    assert text_of(api.events(edited.json()["reply"]["id"])) == "uno"
    messages = api.get(f"/api/conversations/{conv['id']}").json()["messages"]
    assert [m["content"] for m in messages] == ["uno", "uno"]
    assert api.patch(f"/api/messages/{old_reply}", json={"content": "x"}).status_code == 400
    tree = api.get(f"/api/conversations/{conv['id']}/tree").json()["messages"]
    assert len(tree) == 7  # nothing was deleted
    assert api.patch("/api/messages/nope", json={"content": "x"}).status_code == 404


def test_deleting_a_conversation_cancels_its_reply(stalling_api: Api) -> None:
    api = stalling_api
    conv = api.conversation()
    reply = api.send(conv["id"], "hello")["reply"]["id"]
    with api.open_events(reply) as source:
        next(source)
        assert api.delete(f"/api/conversations/{conv['id']}").status_code == 204
        end = read_until_outcome(source)[-1]
    assert json.loads(end.data or "")["message"]["status"] == "cancelled"
    assert api.get(f"/api/conversations/{conv['id']}").status_code == 404
    assert api.delete(f"/api/conversations/{conv['id']}").status_code == 404


def test_conversations_crud(api: Api) -> None:
    a = api.conversation()
    b = api.conversation(" Named ")
    assert a["title"] == "New conversation" and b["title"] == "Named"
    listed = api.get("/api/conversations").json()
    assert [c["id"] for c in listed] == [b["id"], a["id"]]
    renamed = api.patch(f"/api/conversations/{a['id']}", json={"title": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Renamed"
    assert api.get("/api/conversations").json()[0]["id"] == a["id"]
    assert api.patch("/api/conversations/nope", json={"title": "x"}).status_code == 404
    assert api.patch(f"/api/conversations/{a['id']}", json={"title": "  "}).status_code == 422


def test_content_rules(api: Api, settings: Settings) -> None:
    cid = api.conversation()["id"]
    url = f"/api/conversations/{cid}/messages"
    empty = api.post(url, json={"content": " \n\t"})
    assert empty.status_code == 422 and isinstance(empty.json()["detail"], str)
    wrong_type = api.post(url, json={"content": 5})
    assert wrong_type.status_code == 422 and "content" in wrong_type.json()["detail"]
    bad_json = api.post(url, data=b"{nope", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422 and isinstance(bad_json.json()["detail"], str)
    too_long = api.post(url, json={"content": "x" * (settings.max_content_chars + 1)})
    assert too_long.status_code == 413 and isinstance(too_long.json()["detail"], str)
    assert api.post("/api/conversations/nope/messages", json={"content": "x"}).status_code == 404


def test_tutorial_routes(api: Api) -> None:
    assert api.get("/stream").text == ""
    posted = api.post("/stream", data='{"message": "hé"}', headers={"Content-Type": "text/plain"})
    assert (posted.status_code, posted.text) == (200, "success")
    body = api.get("/stream").text
    assert body == "event: message\ndata: h\n\nevent: message\ndata: é\n\nevent: end\ndata:  \n\n"
    assert api.get("/stream").text == ""
    assert api.post("/stream", json={"nope": 1}).status_code == 422
