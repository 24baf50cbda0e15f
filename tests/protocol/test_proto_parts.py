"""PROTOCOL.md section 8 (parts of a reply: reasoning and stats), written from the text and
checked against the real backend with the echo responder, which turns a message
`<think>plan</think>Answer` into reasoning `plan` and content `Answer`. The lines of
section 4 that count over parts are in test_proto_stream_parts.py."""

from __future__ import annotations

import itertools
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from .sse_support import RawStream
from .support import Api, backend_process, free_port

STATS_KEYS = {"first_token_ms", "duration_ms", "prompt_tokens", "completion_tokens"}


def finished(api: Api, content: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(turn, the reply as stored once it ended)."""
    cid, turn = api.new_turn(content)
    api.follow(turn["reply"]["id"])
    return turn, api.message(cid, turn["reply"]["id"])


def check_parts_shape(message: dict[str, Any]) -> None:
    """`parts`, `content` and `reasoning` agree as section 8 says."""
    parts = message["parts"]
    assert isinstance(parts, list), message
    for part in parts:
        assert set(part) == {"type", "text"} and part["type"] in ("reasoning", "text"), part
        assert isinstance(part["text"], str) and part["text"], part
    for a, b in itertools.pairwise(parts):
        assert a["type"] != b["type"], f"consecutive parts of one type not merged: {parts}"
    assert message["content"] == "".join(p["text"] for p in parts if p["type"] == "text")
    assert message["reasoning"] == "".join(p["text"] for p in parts if p["type"] == "reasoning")


def check_stats(stats: Any, *, finished: bool) -> None:
    assert isinstance(stats, dict) and set(stats) == STATS_KEYS, stats
    for key in STATS_KEYS:
        assert stats[key] is None or (isinstance(stats[key], int) and stats[key] >= 0), stats
    if finished:
        assert isinstance(stats["duration_ms"], int), stats
    else:
        assert stats["duration_ms"] is None, stats


# ------------------------------------------------------------------ section 8


def test_echo_turns_think_tags_into_reasoning(api: Api) -> None:
    turn, reply = finished(api, "<think>plan</think>Answer")
    assert reply["status"] == "complete"
    assert (reply["reasoning"], reply["content"]) == ("plan", "Answer")
    assert reply["parts"] == [
        {"type": "reasoning", "text": "plan"},
        {"type": "text", "text": "Answer"},
    ]
    check_parts_shape(reply)
    check_stats(reply["stats"], finished=True)
    assert isinstance(reply["stats"]["first_token_ms"], int)
    assert reply["stats"]["first_token_ms"] <= reply["stats"]["duration_ms"]


@pytest.mark.parametrize(
    ("content", "reasoning", "answer"),
    [
        ("<thinking>a longer plan</thinking>The answer", "a longer plan", "The answer"),
        ("<think>never closed", "never closed", ""),
        ("No tags at all", "", "No tags at all"),
        ("Late <think>tag</think> stays text", "", "Late <think>tag</think> stays text"),
    ],
)
def test_reasoning_and_content_from_the_text(
    api: Api, content: str, reasoning: str, answer: str
) -> None:
    _, reply = finished(api, content)
    assert (reply["reasoning"], reply["content"]) == (reasoning, answer)
    assert "<think" not in reply["reasoning"] and "</think" not in reply["reasoning"]
    check_parts_shape(reply)
    if not reasoning:
        assert reply["parts"] == [{"type": "text", "text": answer}]


def test_user_messages_are_one_text_part_without_stats(api: Api) -> None:
    text = "<think>mine</think>is a user message"
    cid, turn = api.new_turn(text)
    user = turn["message"]
    assert (user["parts"], user["reasoning"], user["stats"]) == (
        [{"type": "text", "text": text}],
        "",
        None,
    )
    api.follow(turn["reply"]["id"])
    stored_user = api.messages(cid)[0]
    assert stored_user["parts"] == [{"type": "text", "text": text}]
    assert (stored_user["reasoning"], stored_user["stats"]) == ("", None)


def test_a_streaming_reply_has_stats_without_a_duration(api: Api) -> None:
    _, turn = api.new_turn("<think>x</think>y")
    reply = turn["reply"]
    assert (reply["parts"], reply["reasoning"], reply["content"]) == ([], "", "")
    check_stats(reply["stats"], finished=False)


def test_the_end_event_carries_the_parts(api: Api) -> None:
    cid, turn = api.new_turn("<think>plan</think>Answer")
    res = api.follow(turn["reply"]["id"])
    message = res.last.json["message"]
    assert res.last.type == "end"
    assert message == api.message(cid, turn["reply"]["id"])
    assert message["parts"][0] == {"type": "reasoning", "text": "plan"}


def test_a_cancelled_reply_keeps_the_reasoning_it_had(slow_api: Api) -> None:
    thinking = "".join(f"t{i:02d} " for i in range(60))  # ~240 chars, ~2.4 s of reasoning
    cid, turn = slow_api.new_turn(f"<think>{thinking}</think>never reached")
    rid = turn["reply"]["id"]
    with RawStream(slow_api.events_url(rid), headers=slow_api.auth_headers()) as rs:
        ev = rs.next_event()
        assert ev is not None and ev.type == "reasoning", ev
    assert slow_api.cancel(rid).status_code == 202
    reply = slow_api.wait_done(cid, rid)
    assert reply["status"] == "cancelled"
    assert reply["content"] == "" and reply["reasoning"]
    assert thinking.startswith(reply["reasoning"])
    assert reply["parts"] == [{"type": "reasoning", "text": reply["reasoning"]}]
    check_stats(reply["stats"], finished=True)


def test_a_crash_mid_reasoning_keeps_what_was_persisted_a_second_before(tmp_path: Path) -> None:
    """Section 3: persisted at least every second; section 8: an interrupted reply keeps its
    parts. The backend is SIGKILLed while it reasons; started again, the reply is
    `interrupted` with (at least) the reasoning streamed over a second before the kill."""
    thought = "".join(f"k{i:03d} " for i in range(400))  # 2,000 chars, ~20 s at 0.01 s/char
    port, token = free_port(), "fixed-test-token-0123456789"
    args = ["--port", str(port), "--data-dir", str(tmp_path), "--token", token]
    with backend_process(*args, "--echo-delay", "0.01") as bp:
        bp.wait_healthy(port)
        api = Api(f"http://127.0.0.1:{port}", token)
        cid, turn = api.new_turn(f"<think>{thought}</think>never reached")
        rid = turn["reply"]["id"]
        seen: list[tuple[float, int]] = []  # (when, reasoning length received)
        with RawStream(api.events_url(rid), headers=api.auth_headers()) as rs:
            while not seen or seen[-1][1] < 250:  # ~2.5 s: more than two persist intervals
                ev = rs.next_event()
                assert ev is not None and ev.type == "reasoning", ev
                seen.append((time.monotonic(), int(ev.id or 0)))
            killed_at = time.monotonic()
            bp.signal(signal.SIGKILL)
            bp.wait_exit()
    # what had arrived over a second (plus 0.3 s of scheduling slack) before the kill
    safe = max((n for when, n in seen if when <= killed_at - 1.3), default=0)
    port = free_port()
    with backend_process("--port", str(port), *args[2:]) as again:
        again.wait_healthy(port)
        reply = Api(f"http://127.0.0.1:{port}", token).message(cid, rid)
    assert reply["status"] == "interrupted", reply
    assert reply["content"] == "" and thought.startswith(reply["reasoning"])
    assert len(reply["reasoning"]) >= safe, (len(reply["reasoning"]), safe)
    assert reply["parts"] == [{"type": "reasoning", "text": reply["reasoning"]}]
