"""PROTOCOL.md section 1: bad input (in-thread EmbeddedServer).

Unknown ids are 404, a wrong method 405, unparsable JSON and wrong types 422, content over
the limit and bodies over 1 MiB (with or without Content-Length) 413, each as a JSON
`{"detail": ...}` error. Transport and security (address, token, Host and Origin guards) are
in `test_proto_security.py`.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ServerFactory
from .support import Api, check_error

# ------------------------------------------------------------------ 404 / 422 / 413


def test_unknown_route_ids_are_404(api: Api) -> None:
    cid = "no-such-conversation"
    mid = "no-such-message"
    check_error(api.get(f"/api/conversations/{cid}"), 404)
    check_error(api.patch(f"/api/conversations/{cid}", json={"title": "t"}), 404)
    check_error(api.delete(f"/api/conversations/{cid}"), 404)
    check_error(api.post(f"/api/conversations/{cid}/messages", json={"content": "hi"}), 404)
    check_error(api.patch(f"/api/messages/{mid}", json={"content": "hi"}), 404)
    check_error(api.post(f"/api/messages/{mid}/regenerate"), 404)
    check_error(api.post(f"/api/messages/{mid}/cancel"), 404)
    check_error(api.get(f"/api/messages/{mid}/events"), 404)


@pytest.fixture(scope="module")
def finished(server: Any) -> dict[str, str]:
    return Api(server.base_url, server.token).finished_turn("validation probe")


BAD_JSON = [b"{", b"not json", b'{"content": "x",}', b"\xff\xfe"]


@pytest.mark.parametrize("raw", BAD_JSON)
def test_bad_json_is_422(api: Api, finished: dict, raw: bytes) -> None:
    h = {"Content-Type": "application/json"}
    check_error(api.post("/api/conversations", data=raw, headers=h), 422)
    check_error(api.patch(f"/api/conversations/{finished['cid']}", data=raw, headers=h), 422)
    check_error(
        api.post(f"/api/conversations/{finished['cid']}/messages", data=raw, headers=h), 422
    )
    check_error(api.patch(f"/api/messages/{finished['user']}", data=raw, headers=h), 422)


@pytest.mark.parametrize(
    "body", [{"content": 5}, {"content": None}, {"content": ["hi"]}, {}, [], "hi", {"text": "hi"}]
)
def test_wrong_message_types_are_422(api: Api, finished: dict, body: Any) -> None:
    check_error(api.post(f"/api/conversations/{finished['cid']}/messages", json=body), 422)
    check_error(api.patch(f"/api/messages/{finished['user']}", json=body), 422)


@pytest.mark.parametrize("body", [{"title": 5}, {"title": ["x"]}, {"title": {}}, [], "x"])
def test_wrong_conversation_types_are_422(api: Api, finished: dict, body: Any) -> None:
    check_error(api.post("/api/conversations", json=body), 422)
    check_error(api.patch(f"/api/conversations/{finished['cid']}", json=body), 422)


def test_patch_conversation_null_title_is_422(api: Api, finished: dict) -> None:
    # (POST {"title": null} is left alone: `"title"?` may reasonably read null as absent)
    check_error(api.patch(f"/api/conversations/{finished['cid']}", json={"title": None}), 422)


def test_patch_conversation_without_title_is_422(api: Api, finished: dict) -> None:
    check_error(api.patch(f"/api/conversations/{finished['cid']}", json={}), 422)


@pytest.mark.parametrize("content", ["", " ", "   \t\n  ", "\r\n", "\u00a0\u2003"])
def test_empty_after_trim_content_is_422(api: Api, finished: dict, content: str) -> None:
    cid = finished["cid"]
    before = api.messages(cid)
    check_error(api.post(f"/api/conversations/{cid}/messages", json={"content": content}), 422)
    check_error(api.patch(f"/api/messages/{finished['user']}", json={"content": content}), 422)
    assert api.messages(cid) == before


def test_content_over_default_limit_is_413(api: Api, finished: dict) -> None:
    cid = finished["cid"]
    too_long = "a" * 100_001
    check_error(api.post(f"/api/conversations/{cid}/messages", json={"content": too_long}), 413)
    check_error(api.patch(f"/api/messages/{finished['user']}", json={"content": too_long}), 413)
    assert [m["id"] for m in api.messages(cid)] == [finished["user"], finished["reply"]]


def test_content_limit_is_configurable_and_counts_characters(make_server: ServerFactory) -> None:
    with make_server(max_content_chars=40) as srv:
        api = Api(srv.base_url, srv.token)
        cid = api.create_conversation()["id"]
        check_error(api.post(f"/api/conversations/{cid}/messages", json={"content": "b" * 41}), 413)
        turn = api.send(cid, "😀" * 40)  # 40 characters (160 bytes, 80 UTF-16 units)
        assert api.follow(turn["reply"]["id"]).text == "😀" * 40


def test_body_over_one_mib_is_413(make_server: ServerFactory) -> None:
    # a huge content limit, so that only the body-size rule can refuse these
    with make_server(max_content_chars=10_000_000) as srv:
        api = Api(srv.base_url, srv.token)
        cid = api.create_conversation()["id"]
        big = "x" * ((1 << 20) + 10)
        check_error(api.post(f"/api/conversations/{cid}/messages", json={"content": big}), 413)
        check_error(api.post("/api/conversations", json={"title": big}), 413)
        # small content, body padded with JSON whitespace past 1 MiB
        padded = b'{"content": "hi"' + b" " * (1 << 20) + b"}"
        r = api.post(
            f"/api/conversations/{cid}/messages",
            data=padded,
            headers={"Content-Type": "application/json"},
        )
        check_error(r, 413)
        assert api.messages(cid) == []


def test_chunked_body_over_one_mib_is_413(make_server: ServerFactory) -> None:
    """No Content-Length (chunked upload): the limit must still hold."""
    with make_server(max_content_chars=10_000_000) as srv:
        api = Api(srv.base_url, srv.token)

        def body() -> Any:
            yield b'{"title": "'
            for _ in range(20):
                yield b"y" * 65536
            yield b'"}'

        h = {"Content-Type": "application/json"}
        r = api.post("/api/conversations", data=body(), headers=h)
        check_error(r, 413)


def test_body_of_exactly_one_mib_is_not_413(make_server: ServerFactory) -> None:
    with make_server() as srv:
        api = Api(srv.base_url, srv.token)
        head, tail = b'{"title": "exact"', b"}"
        body = head + b" " * ((1 << 20) - len(head) - len(tail)) + tail
        assert len(body) == 1 << 20
        r = api.post("/api/conversations", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 201, (r.status_code, r.text[:200])


def test_unknown_route_and_wrong_method_errors_are_json(api: Api) -> None:
    check_error(api.get("/api/no-such-route"), 404)
    check_error(api.request("PUT", "/api/conversations", json={}), 405)
    check_error(api.request("DELETE", "/api/conversations"), 405)
