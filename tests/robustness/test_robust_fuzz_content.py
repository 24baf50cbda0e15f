"""Part 3, continued: what the fuzz keeps through the whole path, and what it once found.

Any accepted content comes back byte-exact through the event stream and the store (SSE
framing characters, NUL, RTL, combining marks); each regression the fuzz found (a 500, or a
400 where PROTOCOL.md says 422) stays fixed. Same server (`fuzzer`, conftest.py) and profile
(`FUZZ`) as `test_robust_fuzz.py`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from backend.store import Store
from tests.support.fuzz_support import CLOSED_PORT_URLS, FUZZ, SPECIAL_TEXT, TEXT, Fuzzer


@FUZZ
@given(content=st.one_of(TEXT.filter(lambda t: len(t) <= 2000), SPECIAL_TEXT))
def test_fuzz_content_round_trip(fuzzer: Fuzzer, content: str) -> None:
    """Whatever is accepted comes back byte-exact through the event stream and the store:
    SSE-framing characters, NUL, RTL, combining marks never break the framing."""
    fuzzer.session.put(
        fuzzer.base_url + "/api/settings",
        json={"provider": "echo", "echo_delay": 0},
        headers={"Authorization": f"Bearer {fuzzer.token}"},
        timeout=10,
    )
    cid = fuzzer.home
    raw = json.dumps({"content": content}).encode()
    route = ("POST", "/api/conversations/{cid}/messages")
    resp = fuzzer.call(route, f"/api/conversations/{cid}/messages", data=raw,
                       headers={"Content-Type": "application/json"})  # fmt: skip
    if resp.status_code == 409:  # an earlier case's reply still streams: wait for it
        fuzzer.quiet()
        resp = fuzzer.call(route, f"/api/conversations/{cid}/messages", data=raw,
                           headers={"Content-Type": "application/json"})  # fmt: skip
    if resp.status_code != 202:
        assert resp.status_code in (413, 422)
        try:
            content.encode("utf-8")
            valid = True
        except UnicodeEncodeError:
            valid = False
        assert not valid or not content.strip() or len(content) > 100_000, resp.status_code
        return
    reply = json.loads(resp.content)["reply"]["id"]
    text, ids, final = _read_events(fuzzer, reply)
    assert text == content
    assert ids == sorted(ids) and ids[-1] == len(content)
    assert final["content"] == content and final["status"] == "complete"


def _read_events(fz: Fuzzer, mid: str) -> tuple[str, list[int], dict[str, Any]]:
    """Parse the stream by the SSE rules (lines split on CR, LF or CRLF)."""
    resp = fz.session.get(
        f"{fz.base_url}/api/messages/{mid}/events",
        headers={"Authorization": f"Bearer {fz.token}"},
        stream=True,
        timeout=20,
    )
    with resp:
        assert resp.status_code == 200
        raw = resp.content.decode("utf-8")
    text, ids, final = "", [], {}
    for block in re.split(r"(?:\r\n|\r|\n){2}", raw):
        fields: dict[str, str] = {}
        for line in re.split(r"\r\n|\r|\n", block):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.removeprefix(" ")
        if fields.get("event") == "delta":
            text += json.loads(fields["data"])["text"]
            ids.append(int(fields["id"]))
        elif fields.get("event") == "end":
            final = json.loads(fields["data"])["message"]
            ids.append(int(fields["id"]))
    return text, ids, final


def test_regressions_found_by_the_fuzz(fuzzer: Fuzzer) -> None:
    """Each of these was a 500 (or a 400 where PROTOCOL.md says 422) before its fix."""
    json_type = {"Content-Type": "application/json"}
    deep = b"[" * 200_000
    for route in (("POST", "/api/conversations"), ("POST", "/stream"), ("PUT", "/api/settings")):
        fuzzer.call(route, route[1], data=deep, headers=json_type, expect={422})
    for stream in (False, True):  # a lone surrogate used to be echoed into an unencodable reply
        body = {"model": "echo", "stream": stream,
                "messages": [{"role": "user", "content": "a\ud800"}]}  # fmt: skip
        raw = json.dumps(body).encode()
        fuzzer.call(("POST", "/v1/chat/completions"), "/v1/chat/completions", data=raw,
                    headers=json_type, expect={422})  # fmt: skip
    for name in ("system_prompt", "model", "base_url", "api_key"):  # it poisoned GET too
        raw = json.dumps({"provider": "echo", name: "\udfff"}).encode()
        fuzzer.call(("PUT", "/api/settings"), "/api/settings", data=raw, headers=json_type,
                    expect={422})  # fmt: skip
        fuzzer.call(("GET", "/api/settings"), "/api/settings", expect={200})
    check = json.dumps({"provider": "openai", "base_url": CLOSED_PORT_URLS[0], "api_key": "\ud800"})
    fuzzer.call(("POST", "/api/provider/check"), "/api/provider/check", data=check.encode(),
                headers=json_type, expect={422})  # fmt: skip


def test_store_keeps_updated_at_at_or_after_new_reply(tmp_path: Path) -> None:
    """Regression: `add_turn` stamped the reply a moment after the conversation's
    `updated_at`, so a reply interrupted by a crash stayed newer than its conversation."""
    store = Store.open(tmp_path / "chat.sqlite3")
    try:
        conv = store.create_conversation("t")
        user, reply = store.add_turn(conv.id, "hi", "r1")
        updated = store.get_conversation(conv.id)
        assert updated is not None
        assert updated.updated_at >= reply.created_at >= user.created_at
    finally:
        store.close()
