"""PROTOCOL.md section 4: the event stream, byte for byte and through requests-sse."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.waiting import wait_until

from .conftest import ServerFactory
from .sse_support import RawStream, read_stream, sse_follow, sse_text
from .support import Api, check_error, check_stream_framing

LONG = "".join(f"w{i:03d} " for i in range(60)).strip()  # ~300 chars, ~3 s at 0.01 s/char

TRICKY = (
    "line one\nline two\r\nthird\rfourth\n\n"
    "data: not a field\nevent: end\nid: 999\n: not a comment\nretry: 1\n"
    'quotes " and \\ backslash, {"json": true}\t tab\n'
    "emoji 😀👍🏽👨‍👩‍👧 flags 🇫🇷 clef 𝄞 combining e\u0301 CJK 漢字 "
    "nbsp\u00a0 line-sep\u2028 para-sep\u2029 nel\u0085 end"
)

EMOJI = "ab😀cd👍🏽ef𝄞g漢字h👨‍👩‍👧i"


def _finished(api: Api, text: str) -> dict[str, Any]:
    cid, turn = api.new_turn(text)
    api.follow(turn["reply"]["id"])
    return turn


# ------------------------------------------------------------------ wire format


def test_headers_and_framing_byte_exact(api: Api) -> None:
    turn = api.send(api.create_conversation()["id"], "Hello, world")
    res = api.follow(turn["reply"]["id"])
    ctype = res.headers.get("content-type", "")
    assert ctype.replace(" ", "").lower() == "text/event-stream;charset=utf-8", ctype
    assert res.headers.get("cache-control") == "no-cache", res.headers
    assert res.headers.get("x-accel-buffering") == "no", res.headers
    msg = check_stream_framing(res, "Hello, world")
    assert msg["status"] == "complete"
    assert msg["content"] == "Hello, world"
    assert msg["id"] == turn["reply"]["id"]
    # first the retry block, each event block is `event:`, `id:`, `data:` lines then a blank line
    assert res.raw.startswith(b"retry: 1000\n\n"), res.raw[:40]
    blocks = res.raw.decode("utf-8").split("\n\n")
    assert blocks[0] == "retry: 1000"
    assert blocks[-1] == "", "body does not end with a blank line"
    for block in blocks[1:-1]:
        lines = [ln for ln in block.split("\n") if not ln.startswith(":")]
        if not lines:
            continue
        names = [ln.split(":", 1)[0] for ln in lines]
        assert sorted(names) == ["data", "event", "id"], block
        for ln in lines:
            assert ln.split(":", 1)[1].startswith(" "), ln
    assert res.eof


def test_delta_and_end_payloads(api: Api) -> None:
    turn = _finished(api, "abc")
    res = api.follow(turn["reply"]["id"])
    for ev in res.deltas:
        assert set(ev.json) == {"text"}, ev
    end = res.last.json
    assert set(end) == {"message"}, end
    assert end["message"]["content"] == "abc"
    assert res.last.id == "3"


def test_ids_are_code_points_not_bytes_or_utf16(api: Api) -> None:
    turn = api.send(api.create_conversation()["id"], EMOJI)
    res = api.follow(turn["reply"]["id"])
    check_stream_framing(res, EMOJI)
    assert res.last.id == str(len(EMOJI))  # 22 code points
    assert len(EMOJI.encode()) != len(EMOJI)
    assert len(EMOJI.encode("utf-16-le")) // 2 != len(EMOJI)


@pytest.mark.parametrize(
    "text",
    [TRICKY, "a\nb", "data: x", "x\r\ny", "😀", "a\n\nb", "x" * 2000],
    ids=["tricky", "newline", "data-prefix", "crlf", "emoji", "blank-line", "2000-chars"],
)
def test_text_round_trips_exactly(api: Api, text: str) -> None:
    cid, turn = api.new_turn(text)
    assert turn["message"]["content"] == text
    rid = turn["reply"]["id"]
    live = api.follow(rid)
    msg = check_stream_framing(live, text)
    assert msg["content"] == text
    stored = api.messages(cid)
    assert stored[0]["content"] == text
    assert stored[1]["content"] == text
    # and through a standard SSE client
    events = sse_follow(api.events_url(rid), headers=api.auth_headers())
    assert sse_text(events) == text
    assert events[-1].type == "end"
    assert json.loads(events[-1].data or "")["message"]["content"] == text


# ------------------------------------------------------------------ resume


def _resume(api: Api, rid: str, n: int | str, via: str) -> Any:
    if via == "header":
        return read_stream(
            api.events_url(rid), headers={**api.auth_headers(), "Last-Event-ID": str(n)}
        )
    return read_stream(
        api.events_url(rid), headers=api.auth_headers(), params={"last_event_id": str(n)}
    )


@pytest.mark.parametrize("via", ["header", "query"])
def test_resume_finished_reply_at_offsets(api: Api, via: str) -> None:
    text = "0123456789" * 3 + EMOJI
    rid = _finished(api, text)["reply"]["id"]
    cuts = {0, 1, 15, 30, len(text) - 1, len(text)}
    # every offset just before and after each astral / multi-byte / multi-unit character
    for i, ch in enumerate(text):
        if len(ch.encode()) > 1:
            cuts |= {i, i + 1}
    for n in sorted(cuts):
        res = _resume(api, rid, n, via)
        assert res.status == 200, (n, res.raw[:200])
        assert b"\r" not in res.raw
        rest = text[n:]
        if rest:
            assert [e.type for e in res.events] == ["delta", "end"], (n, res.events)
            assert res.events[0].json["text"] == rest, n
            assert res.events[0].id == str(len(text)), n
        else:
            assert [e.type for e in res.events] == ["end"], (n, res.events)
        assert res.last.id == str(len(text))
        assert res.last.json["message"]["content"] == text


def test_resume_with_requests_sse_latest_event_id(api: Api) -> None:
    text = "héllo wörld 😀 done"
    rid = _finished(api, text)["reply"]["id"]
    for n in (0, 7, 13, 14, len(text)):
        events = sse_follow(api.events_url(rid), headers=api.auth_headers(), latest_event_id=str(n))
        assert sse_text(events) == text[n:], n
        assert events[-1].type == "end"
        assert events[-1].last_event_id == str(len(text))


@pytest.mark.parametrize("via", ["header", "query"])
def test_resume_live_reply_mid_stream(slow_api: Api, via: str) -> None:
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as rs:
        got = ""
        while len(got) < 20:
            ev = rs.next_event()
            assert ev is not None and ev.type == "delta", ev
            got += ev.json["text"]
            assert ev.id == str(len(got))
    n = len(got)
    res = _resume(slow_api, rid, n, via)
    msg = check_stream_framing_from(res, n)
    assert got + res.text == LONG
    assert msg["status"] == "complete"


@pytest.mark.parametrize("via", ["header", "query"])
def test_resume_live_first_delta_holds_everything_since_n(slow_api: Api, via: str) -> None:
    """ "first one `delta` with everything produced since N (if any), then live events"."""
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as rs:
        got = ""
        while len(got) < 40:
            ev = rs.next_event()
            assert ev is not None and ev.type == "delta", ev
            got += ev.json["text"]
        # `got` has certainly been produced before the resume request below
        res = _resume(slow_api, rid, 7, via)
    first = res.events[0]
    assert first.type == "delta", first
    assert first.json["text"].startswith(got[7:]), (first.json["text"], got)
    assert int(first.id or 0) >= len(got)
    check_stream_framing_from(res, 7)
    assert LONG[:7] + res.text == LONG


def check_stream_framing_from(res: Any, n: int) -> dict[str, Any]:
    """A resumed stream: ids continue from n; the first delta holds all text produced since n."""
    assert res.status == 200, res.raw[:200]
    assert res.raw.startswith(b"retry: 1000\n")
    length = n
    for ev in res.events[:-1]:
        assert ev.type == "delta"
        length += len(ev.json["text"])
        assert ev.id == str(length)
    assert res.last.type == "end"
    assert res.last.id == str(length)
    return res.last.json["message"]


@pytest.mark.parametrize("bad", ["abc", "1.5", "-1", "1e3", "0x10"])
@pytest.mark.parametrize("via", ["header", "query"])
def test_bad_last_event_id_is_400(api: Api, bad: str, via: str) -> None:
    rid = _finished(api, "hello")["reply"]["id"]
    if via == "header":
        r = api.get(f"/api/messages/{rid}/events", headers={"Last-Event-ID": bad})
    else:
        r = api.get(f"/api/messages/{rid}/events", params={"last_event_id": bad})
    check_error(r, 400)


@pytest.mark.parametrize("via", ["header", "query"])
def test_last_event_id_beyond_length_is_400(api: Api, via: str) -> None:
    text = "😀😀😀"  # 3 code points, 12 bytes, 6 UTF-16 units
    rid = _finished(api, text)["reply"]["id"]
    for bad in (4, 6, 12, 10**6):
        if via == "header":
            r = api.get(f"/api/messages/{rid}/events", headers={"Last-Event-ID": str(bad)})
        else:
            r = api.get(f"/api/messages/{rid}/events", params={"last_event_id": str(bad)})
        check_error(r, 400)
    assert _resume(api, rid, 3, via).status == 200


def test_last_event_id_beyond_live_length_is_400(slow_api: Api) -> None:
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    r = slow_api.get(f"/api/messages/{rid}/events", headers={"Last-Event-ID": str(len(LONG) + 1)})
    check_error(r, 400)
    assert slow_api.cancel(rid).status_code == 202


# ------------------------------------------------------------------ subscribers


def test_two_subscribers_get_identical_full_text(slow_api: Api) -> None:
    text = LONG[:150] + " 😀 end"
    cid, turn = slow_api.new_turn(text)
    rid = turn["reply"]["id"]
    with ThreadPoolExecutor(2) as pool:
        futs = [pool.submit(slow_api.follow, rid) for _ in range(2)]
        results = [f.result(timeout=30) for f in futs]
    for res in results:
        msg = check_stream_framing(res, text)
        assert msg["status"] == "complete"
    assert results[0].text == results[1].text == text
    assert results[0].last.data == results[1].last.data


def test_subscriber_joining_mid_stream_gets_everything(slow_api: Api) -> None:
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as first:
        ev = first.next_event()
        assert ev is not None and ev.type == "delta"
        seen = ev.json["text"]
        while len(seen) < 40:
            ev = first.next_event()
            assert ev is not None and ev.type == "delta"
            seen += ev.json["text"]
        late = slow_api.follow(rid)
        first.read_to_end()
        rest = first.result
    check_stream_framing(late, LONG)
    check_stream_framing(rest, LONG)
    # replay from 0: the late subscriber's first delta already holds all text produced so far
    assert late.deltas[0].json["text"].startswith(seen), (late.deltas[0], seen)


def test_late_subscriber_after_end_gets_everything_then_end(api: Api) -> None:
    turn = _finished(api, "finished long ago 😀")
    res = api.follow(turn["reply"]["id"])
    msg = check_stream_framing(res, "finished long ago 😀")
    assert msg["status"] == "complete"
    events = sse_follow(api.events_url(turn["reply"]["id"]), headers=api.auth_headers())
    assert sse_text(events) == "finished long ago 😀"
    assert [e.type for e in events][-1] == "end"


def test_events_with_query_token(api: Api) -> None:
    rid = _finished(api, "query auth")["reply"]["id"]
    events = sse_follow(api.events_url(rid), params={"token": api.token})
    assert sse_text(events) == "query auth"


# ------------------------------------------------------------------ keep-alive


def test_ping_comment_breaks_silence(make_server: ServerFactory) -> None:
    with make_server(echo_delay=0.6, ping_interval=0.2) as srv:
        api = Api(srv.base_url, srv.token)
        cid, turn = api.new_turn("abcdef")
        rid = turn["reply"]["id"]
        with RawStream(api.events_url(rid), headers=api.auth_headers(), read_timeout=5) as rs:
            deadline = time.monotonic() + 5
            pings = 0
            while pings < 2:
                assert time.monotonic() < deadline, f"no `: ping`; lines={rs.result.lines}"
                line = rs.readline()
                assert line is not None, "stream closed before any ping"
                if line.startswith(b":"):
                    assert line == b": ping", line
                    pings += 1
        assert api.cancel(rid).status_code == 202


def test_no_ping_before_interval(api: Api) -> None:
    """The default interval is 15 s: a quick reply carries no ping comments."""
    res = api.follow(_finished(api, "quick")["reply"]["id"])
    assert res.comments == []


# ------------------------------------------------------------------ load


def test_thirty_two_concurrent_conversations(make_server: ServerFactory) -> None:
    with make_server(echo_delay=0.002) as srv:
        api = Api(srv.base_url, srv.token)

        def one(i: int) -> tuple[str, str, Any]:
            text = f"conversation {i}: " + "".join(chr(0x41 + (i + k) % 26) for k in range(150))
            text += " 😀\n"
            cid, turn = api.new_turn(text)
            res = api.follow(turn["reply"]["id"], deadline=60)
            return text, cid, res

        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(one, range(32)))
        for text, cid, res in results:
            msg = check_stream_framing(res, text)
            assert msg["status"] == "complete"
            assert api.messages(cid)[1]["content"] == text


# ------------------------------------------------------------------ property: any text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=60
    ).filter(lambda t: t.strip() != "")
)
def test_any_text_round_trips_with_code_point_ids(server: Any, text: str) -> None:
    api = Api(server.base_url, server.token)
    cid, turn = api.new_turn(text)
    assert turn["message"]["content"] == text
    res = api.follow(turn["reply"]["id"])
    msg = check_stream_framing(res, text)
    assert msg["content"] == text
    assert res.last.id == str(len(text))
    cut = len(text) // 2
    resumed = read_stream(
        api.events_url(turn["reply"]["id"]),
        headers={**api.auth_headers(), "Last-Event-ID": str(cut)},
    )
    assert resumed.text == text[cut:]


# ------------------------------------------------------------------ persistence while streaming


def test_content_is_persisted_while_the_reply_grows(slow_api: Api) -> None:
    """ "persisted as it grows (at least every second)": a reader of GET conversation sees
    a growing prefix while the reply is still streaming."""
    cid, turn = slow_api.new_turn(LONG)
    rid = turn["reply"]["id"]
    t0 = time.monotonic()
    seen = wait_until(
        lambda: (m := slow_api.message(cid, rid))["content"] and m,
        timeout=2.5,
        interval=0.05,
        what="persisted content within ~1 s of the first characters",
    )
    assert seen["status"] == "streaming", "reply finished too early for this check"
    assert LONG.startswith(seen["content"])
    assert time.monotonic() - t0 < 2.5
    assert slow_api.cancel(rid).status_code == 202
