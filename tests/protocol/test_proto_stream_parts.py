"""PROTOCOL.md section 4 over parts (section 8): ids count code points over all parts,
`reasoning` events carry reasoning as `delta` carries text, and a resume from any offset gives
exactly the rest, one event per part from the one the offset falls in. Written from the text,
against the real backend (the echo responder reasons on `<think>plan</think>Answer`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.waiting import wait_until

from .sse_support import Event, RawStream, read_stream
from .support import Api


def finished(api: Api, content: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(turn, the reply as stored once it ended)."""
    cid, turn = api.new_turn(content)
    api.follow(turn["reply"]["id"])
    return turn, api.message(cid, turn["reply"]["id"])


def kinds(events: list[Event]) -> list[tuple[str, str | None, str]]:
    return [(e.type, e.id, e.json.get("text", "")) for e in events]


def test_ids_count_code_points_over_all_parts(api: Api) -> None:
    thought, answer = "pl😀n 漢字", "Ans👍🏽wer"
    turn, reply = finished(api, f"<think>{thought}</think>{answer}")
    res = api.follow(turn["reply"]["id"])
    total = len(thought) + len(answer)
    length, seen = 0, {"reasoning": "", "delta": ""}
    for ev in res.events[:-1]:
        assert ev.type in ("reasoning", "delta"), ev
        length += len(ev.json["text"])
        seen[ev.type] += ev.json["text"]
        assert ev.id == str(length), (ev, length)
    assert seen == {"reasoning": thought, "delta": answer}
    types = [ev.type for ev in res.events[:-1]]
    assert types == sorted(types, key=lambda t: t == "delta")  # all reasoning, then all text
    assert (res.last.type, res.last.id) == ("end", str(total))


@pytest.mark.parametrize("via", ["header", "query"])
def test_resume_at_every_offset_gives_exactly_the_rest(api: Api, via: str) -> None:
    thought, answer = "plan", "Answer"
    turn, _ = finished(api, f"<think>{thought}</think>{answer}")
    rid, total = turn["reply"]["id"], len(thought) + len(answer)
    for n in range(total + 1):
        if via == "header":
            res = read_stream(
                api.events_url(rid), headers={**api.auth_headers(), "Last-Event-ID": str(n)}
            )
        else:
            res = read_stream(
                api.events_url(rid), headers=api.auth_headers(), params={"last_event_id": str(n)}
            )
        assert res.status == 200, (n, res.raw[:200])
        expected = []
        if n < len(thought):  # inside the reasoning: its rest, then all the text
            expected.append(("reasoning", str(len(thought)), thought[n:]))
        if n < total:  # at the boundary or inside the text: the rest of the text
            expected.append(("delta", str(total), answer[max(n - len(thought), 0) :]))
        assert kinds(res.events[:-1]) == expected, n
        assert (res.last.type, res.last.id) == ("end", str(total)), n


def test_beyond_the_length_over_all_parts_is_400(api: Api) -> None:
    turn, _ = finished(api, "<think>plan</think>Answer")
    url = api.events_url(turn["reply"]["id"])
    assert read_stream(url, headers={**api.auth_headers(), "Last-Event-ID": "10"}).status == 200
    assert read_stream(url, headers={**api.auth_headers(), "Last-Event-ID": "11"}).status == 400


def test_resume_inside_live_reasoning_then_across_into_text(slow_api: Api) -> None:
    thought = "".join(f"r{i:02d} " for i in range(30))  # 120 chars
    answer = "".join(f"a{i:02d} " for i in range(10))
    cid, turn = slow_api.new_turn(f"<think>{thought}</think>{answer}")
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as rs:
        got = ""
        while len(got) < 12:
            ev = rs.next_event()
            assert ev is not None and ev.type == "reasoning", ev
            got += ev.json["text"]
    n = 5  # inside what was surely produced already
    res = read_stream(
        slow_api.events_url(rid), headers={**slow_api.auth_headers(), "Last-Event-ID": str(n)}
    )
    first = res.events[0]
    assert first.type == "reasoning" and first.json["text"].startswith(got[n:]), first
    length = n
    text = {"reasoning": "", "delta": ""}
    for ev in res.events[:-1]:
        length += len(ev.json["text"])
        text[ev.type] += ev.json["text"]
        assert ev.id == str(length)
    assert (text["reasoning"], text["delta"]) == (thought[n:], answer)
    assert res.last.type == "end" and res.last.id == str(len(thought) + len(answer))
    stored = wait_until(
        lambda: (m := slow_api.message(cid, rid))["status"] == "complete" and m,
        timeout=20,
        what="the reply to finish",
    )
    assert (stored["reasoning"], stored["content"]) == (thought, answer)
