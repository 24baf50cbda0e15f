"""PROTOCOL.md section 6: the tutorial routes, as the tutorial's browser client uses them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .conftest import TUTORIAL_ORIGIN, ServerFactory
from .sse_support import RawStream, StreamResult
from .support import check_error


@pytest.fixture
def tutorial(make_server: ServerFactory) -> Iterator[Any]:
    """A fresh server per test: the pending message is server state."""
    with make_server(auth=False, allow_origins=(TUTORIAL_ORIGIN,)) as srv:
        yield srv


def post(srv: Any, message: str, **headers: str) -> requests.Response:
    return requests.post(
        srv.base_url + "/stream", json={"message": message}, headers=headers, timeout=10
    )


def stream(srv: Any, **headers: str) -> StreamResult:
    with RawStream(srv.base_url + "/stream", headers=headers, read_timeout=5) as rs:
        assert rs.result.status == 200, rs.resp.text
        return rs.read_all(deadline=10)


def check_chars(res: StreamResult, message: str) -> None:
    expected = message + " "
    assert res.headers.get("content-type", "").startswith("text/event-stream"), res.headers
    assert [e.data for e in res.events] == list(expected), res.raw[:300]
    assert [e.type for e in res.events] == ["message"] * (len(expected) - 1) + ["end"]


def test_post_stream_answers_success(tutorial: Any) -> None:
    r = post(tutorial, "hello")
    assert r.status_code == 200, r.text
    assert r.text == "success"


def test_get_stream_sends_pending_message_one_char_per_event(tutorial: Any) -> None:
    assert post(tutorial, "Hi there").status_code == 200
    check_chars(stream(tutorial), "Hi there")


def test_multibyte_characters_are_one_event_each(tutorial: Any) -> None:
    assert post(tutorial, "né😀漢").status_code == 200
    check_chars(stream(tutorial), "né😀漢")


def test_empty_stream_when_nothing_pending(tutorial: Any) -> None:
    res = stream(tutorial)
    assert res.events == [], res.raw[:300]
    assert res.eof


def test_each_pending_message_is_streamed_once(tutorial: Any) -> None:
    assert post(tutorial, "once").status_code == 200
    check_chars(stream(tutorial), "once")
    assert stream(tutorial).events == []
    assert post(tutorial, "twice").status_code == 200
    check_chars(stream(tutorial), "twice")
    assert stream(tutorial).events == []


def test_tutorial_origin_passes_with_cors_headers(tutorial: Any) -> None:
    r = requests.options(
        tutorial.base_url + "/stream",
        headers={
            "Origin": TUTORIAL_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert 200 <= r.status_code < 300, (r.status_code, r.text)
    assert r.headers.get("access-control-allow-origin") == TUTORIAL_ORIGIN

    r = post(tutorial, "cors", Origin=TUTORIAL_ORIGIN)
    assert r.status_code == 200, r.text
    assert r.text == "success"
    assert r.headers.get("access-control-allow-origin") == TUTORIAL_ORIGIN

    res = stream(tutorial, Origin=TUTORIAL_ORIGIN)
    assert res.headers.get("access-control-allow-origin") == TUTORIAL_ORIGIN
    check_chars(res, "cors")


def test_foreign_origin_is_refused_on_tutorial_routes(tutorial: Any) -> None:
    r = post(tutorial, "x", Origin="http://evil.example")
    assert r.status_code == 403, (r.status_code, r.text)
    r = requests.get(
        tutorial.base_url + "/stream", headers={"Origin": "http://evil.example"}, timeout=10
    )
    assert r.status_code == 403, (r.status_code, r.text)
    # the refused POST left nothing pending
    assert stream(tutorial).events == []


def test_bad_tutorial_body_is_422(tutorial: Any) -> None:
    for body in ({}, {"message": 5}, {"msg": "x"}):
        r = requests.post(tutorial.base_url + "/stream", json=body, timeout=10)
        check_error(r, 422)
