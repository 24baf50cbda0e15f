"""Part 3: property-based fuzzing of every route of the real server, over HTTP on loopback.

Thousands of generated bodies, ids, headers and query strings: the backend answers only the
statuses its documents list for that route, never a 500, errors keep their JSON shape, and
the store stays consistent (no orphans, `updated_at` >= its messages' `created_at`, at most
one streaming reply per conversation).

CI runs a derandomized profile (`ROBUST_FUZZ_EXAMPLES`, default 800 per property test, keeps
the file well under a minute); `bench/` or `ROBUST_FUZZ_EXAMPLES=5000 ROBUST_FUZZ_RANDOM=1`
run a bigger, randomized search.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.app import create_app
from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.store import Store
from tests.support.robust_helpers import FIGURES, store_problems, wait_for

EXAMPLES = int(os.environ.get("ROBUST_FUZZ_EXAMPLES", "800"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("ROBUST_FUZZ_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CLOSED_PORT_URLS = ("http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1")

# Route templates -> the statuses PROTOCOL.md / API-EXTENSIONS.md / ARCHITECTURE.md document.
# 401/403 are added where a request drops the token / sends a foreign Origin or Host.
ROUTES: dict[tuple[str, str], set[int]] = {
    ("GET", "/api/health"): {200},
    ("GET", "/"): {200},
    ("GET", "/api/conversations"): {200},
    ("POST", "/api/conversations"): {201, 413, 422},
    ("GET", "/api/conversations/{cid}"): {200, 404},
    ("PATCH", "/api/conversations/{cid}"): {200, 404, 413, 422},
    ("DELETE", "/api/conversations/{cid}"): {204, 404},
    ("POST", "/api/conversations/{cid}/messages"): {202, 404, 409, 413, 422},
    ("PATCH", "/api/messages/{mid}"): {202, 400, 404, 409, 413, 422},
    ("POST", "/api/messages/{mid}/regenerate"): {202, 400, 404, 409},
    ("POST", "/api/messages/{mid}/cancel"): {202, 400, 404},
    # issue 13: branches, search, export, import (PROTOCOL.md sections 7, 9, 10)
    ("GET", "/api/conversations/{cid}/tree"): {200, 404},
    ("PUT", "/api/conversations/{cid}/head"): {200, 404, 409, 413, 422},
    ("DELETE", "/api/messages/{mid}"): {204, 404},
    ("GET", "/api/search"): {200, 422},
    ("GET", "/api/conversations/{cid}/export"): {200, 404, 422},
    ("GET", "/api/export"): {200},
    ("POST", "/api/import"): {200, 413, 422},
    ("GET", "/api/messages/{mid}/events"): {200, 400, 404},
    ("GET", "/api/events"): {200, 400},
    ("GET", "/api/settings"): {200},
    ("PUT", "/api/settings"): {200, 413, 422},
    ("POST", "/api/provider/check"): {200, 413, 422},
    ("GET", "/api/provider/models"): {200, 502},
    ("POST", "/stream"): {200, 413, 422},
    ("GET", "/stream"): {200},
    ("GET", "/v1/models"): {200},
    # OpenAI's own statuses: 400 for unparsable JSON, 502/504 when the upstream fails
    ("POST", "/v1/chat/completions"): {200, 400, 413, 422, 502, 504},
}
BODY_ROUTES = [key for key in ROUTES if key[0] in ("POST", "PATCH", "PUT")]
#: 405: a path that exists with another method (a fuzzed id may hit `/a/b`); 413: any
#: body over 1 MiB (PROTOCOL.md section 1, whatever the route).
ALWAYS = {405, 413}


@dataclass
class Fuzzer:
    base_url: str
    token: str
    port: int
    db: Path
    session: requests.Session = field(default_factory=requests.Session)
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    cids: list[str] = field(default_factory=list)
    mids: list[str] = field(default_factory=list)
    home: str = ""  # the round-trip test's own conversation (never in the pools)

    def call(
        self,
        route: tuple[str, str],
        path: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        expect: set[int] | None = None,
        **kw: Any,
    ) -> requests.Response:
        method = route[0]
        sent = {"Authorization": f"Bearer {self.token}"} if auth else {}
        sent.update(headers or {})
        kw.setdefault("timeout", 30)
        kw.setdefault("stream", route[1].endswith("/events") or route == ("GET", "/stream"))
        resp = self.session.request(method, self.base_url + path, headers=sent, **kw)
        try:
            if kw["stream"] and resp.status_code == 200:
                if route == ("GET", "/api/events"):  # the change stream never ends
                    next(resp.iter_content(65536))
                else:
                    self._drain(resp)
            allowed = set(expect if expect is not None else ROUTES[route]) | ALWAYS
            if not auth and route != ("GET", "/api/health"):
                allowed.add(401)
            if "{" in route[1]:
                allowed.add(404)  # a fuzzed id that no longer names a route
            self.cases[f"{method} {route[1]}"] += 1
            self.statuses[resp.status_code] += 1
            assert resp.status_code != 500, f"{method} {path}: 500 {resp.text[:300]}"
            assert resp.status_code in allowed, (
                f"{method} {path[:120]}: {resp.status_code} not in {sorted(allowed)}: "
                f"{resp.text[:300]!r}"
            )
            if resp.status_code >= 400:
                self._check_error_shape(route, resp)
        finally:
            resp.close()
        return resp

    @staticmethod
    def _drain(resp: requests.Response, limit: float = 30.0) -> None:
        """Read an event stream to its end (echo delay 0: replies end at once)."""
        stop = time.monotonic() + limit
        for _ in resp.iter_content(65536):
            assert time.monotonic() < stop, "an event stream did not end"

    @staticmethod
    def _check_error_shape(route: tuple[str, str], resp: requests.Response) -> None:
        assert resp.headers.get("content-type", "").startswith("application/json"), resp.text
        body = resp.json()
        assert "Traceback" not in resp.text
        if route[1].startswith("/v1") and "error" in body:  # OpenAI's shape
            assert isinstance(body["error"].get("message"), str), body
        else:  # ours (the guards and the body limit answer /v1 in it too)
            assert isinstance(body.get("detail"), str) and body["detail"], body

    def consistent(self) -> None:
        problems = store_problems(self.db)
        assert problems == [], problems

    def quiet(self) -> None:
        """Wait (bounded) until no reply streams, then check the store."""

        def idle() -> bool:
            conn = __import__("sqlite3").connect(f"file:{self.db}?mode=ro", uri=True)
            try:
                return not conn.execute(
                    "SELECT 1 FROM messages WHERE status = 'streaming'"
                ).fetchone()
            finally:
                conn.close()

        wait_for(idle, timeout=20, what="replies to finish")
        self.consistent()


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzer]:
    data = tmp_path_factory.mktemp("fuzz")
    server = EmbeddedServer(Settings(data_dir=data, echo_delay=0.0, ping_interval=1.0))
    server.start(timeout=10)
    fz = Fuzzer(server.base_url, server.token, server.port, data / "chat.sqlite3")
    try:
        for i in range(3):
            cid = fz.session.post(
                fz.base_url + "/api/conversations",
                json={"title": f"seed {i}"},
                headers={"Authorization": f"Bearer {fz.token}"},
                timeout=10,
            ).json()["id"]
            fz.cids.append(cid)
            turn = fz.session.post(
                f"{fz.base_url}/api/conversations/{cid}/messages",
                json={"content": f"hello {i}"},
                headers={"Authorization": f"Bearer {fz.token}"},
                timeout=10,
            ).json()
            fz.mids += [turn["message"]["id"], turn["reply"]["id"]]
        fz.home = fz.session.post(
            fz.base_url + "/api/conversations",
            json={"title": "round trip"},
            headers={"Authorization": f"Bearer {fz.token}"},
            timeout=10,
        ).json()["id"]
        yield fz
        fz.quiet()
        total = sum(fz.cases.values())
        FIGURES["fuzz cases run"] = (
            f"{total} HTTP requests over {len(fz.cases)} routes; statuses "
            f"{dict(sorted(fz.statuses.items()))}"
        )
    finally:
        fz.session.close()
        server.stop()


# --------------------------------------------------------------------------- strategies

SPECIAL_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\n\ndata: x\n\nevent: end\nid: 999\n\n",
        "\r\n\r\n: ping\r\n",
        "\u202eRTL override\u202c שלום مرحبا",
        "e\u0301\u0301\u0301 Z\u0351\u0352\u0353",
        "👨‍👩‍👧‍👦🇫🇷❤️",
        "\ud800",
        "x\udfffy",
        "\ufeff\ufffe\uffff",
        "<script>alert(1)</script>",
        "[x](javascript:alert(1)) ![i](http://127.0.0.1:9/x.png)",
        "A" * 100_001,
    ]
)
TEXT = st.one_of(
    st.text(max_size=300), SPECIAL_TEXT, st.text(alphabet=st.characters(), max_size=40)
)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = (
    "title", "content", "message", "provider", "base_url", "api_key", "model",
    "system_prompt", "temperature", "echo_delay", "api_key_set", "messages", "stream",
    "max_tokens", "message_id", "format", "version", "conversations", "mapping",
)  # fmt: skip


def _safe_value(name: str, value: Any) -> Any:
    """Never let a fuzzed URL point anywhere but a closed loopback port."""
    if name == "base_url" and isinstance(value, str) and "://" in value:
        return CLOSED_PORT_URLS[len(value) % len(CLOSED_PORT_URLS)]
    if name == "echo_delay" and isinstance(value, (int, float)) and 0.001 < value <= 5:
        return 0.0  # a valid but slow echo would only make later cases wait
    return value


@st.composite
def json_bodies(draw: Callable[..., Any]) -> Any:
    """Mostly near-valid objects with fuzzed values; sometimes any JSON at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(JSON_VALUES)
    names = draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True))
    body: dict[str, Any] = {}
    for name in names:
        if name == "provider":
            value: Any = draw(st.one_of(st.sampled_from(["echo", "openai"]), JSON_SCALARS))
        elif name == "base_url":
            value = draw(st.one_of(st.sampled_from(CLOSED_PORT_URLS), TEXT))
        elif name == "messages":
            value = draw(
                st.lists(
                    st.fixed_dictionaries(
                        {"role": st.sampled_from(["user", "assistant", "system", "x"])},
                        optional={"content": st.one_of(TEXT, JSON_VALUES)},
                    ),
                    max_size=3,
                )
            )
        elif name in ("temperature", "echo_delay"):
            value = draw(
                st.one_of(st.floats(min_value=0, max_value=0.001), st.floats(), JSON_SCALARS)
            )
        else:
            value = draw(JSON_SCALARS)
        body[name] = _safe_value(name, value)
    return body


RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"\xff\xfe\xfd",
            b'{"content": "a\xc3"}',
            b'{"content": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8 (invalid)
            b'{"content": "\\ud800"}',
            b'{"title": "\\udfff"}',
            b'{"message": "\\ud83d"}',
            b'{"content": "a\x00b"}',
            b"[" * 200_000,
            b'{"a":' * 100_000,
            b'{"content": ' + b"9" * 5000 + b"}",
            b'{"content": "' + b"x" * (1 << 20) + b'"}',  # over 1 MiB
            b'{"content": 1e999}',
            b'{"content": NaN}',
            b"null",
            b'"just a string"',
        ]
    ),
)
IDS = st.one_of(
    st.text(min_size=1, max_size=60).map(lambda s: quote(s, safe="")),
    st.sampled_from(["%FF", "%00", "..", "%2e%2e", "a%2Fb", "%C3%28", "x" * 5000, "%ED%A0%80"]),
)


def _target(fz: Fuzzer, draw: Callable[..., Any], kind: str) -> str:
    pool = fz.cids if kind == "cid" else fz.mids
    if draw(st.booleans()):  # a real object (drawn by index: the pool changes)
        return pool[draw(st.integers(0, 1 << 16)) % len(pool)]
    return draw(IDS)


def _fill(fz: Fuzzer, draw: Callable[..., Any], template: str) -> str:
    path = template.replace("{cid}", _target(fz, draw, "cid")) if "{cid}" in template else template
    return path.replace("{mid}", _target(fz, draw, "mid")) if "{mid}" in path else path


def _learn(fz: Fuzzer, resp: requests.Response) -> None:
    """Keep ids of what the fuzz created, so later cases hit real objects too."""
    if resp.status_code == 201:
        with_id = json.loads(resp.content or b"{}")
        if isinstance(with_id, dict) and "id" in with_id:
            fz.cids.append(with_id["id"])
    elif resp.status_code == 202 and resp.content:
        turn = json.loads(resp.content)
        fz.mids += [turn["message"]["id"], turn["reply"]["id"]]
    del fz.cids[:-40], fz.mids[:-80]


# --------------------------------------------------------------------------- properties


@FUZZ
@given(data=st.data())
def test_fuzz_json_bodies(fuzzer: Fuzzer, data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(BODY_ROUTES))
    path = _fill(fuzzer, data.draw, route[1])
    body = data.draw(json_bodies())
    raw = json.dumps(body, ensure_ascii=data.draw(st.booleans())).encode("utf-8", "surrogatepass")
    resp = fuzzer.call(route, path, data=raw, headers={"Content-Type": "application/json"})
    _learn(fuzzer, resp)


@FUZZ
@given(data=st.data())
def test_fuzz_raw_bodies(fuzzer: Fuzzer, data: st.DataObject) -> None:
    """Invalid UTF-8, huge, deeply nested, not JSON at all, chunked, any content type."""
    route = data.draw(st.sampled_from(BODY_ROUTES))
    path = _fill(fuzzer, data.draw, route[1])
    raw = data.draw(RAW_BODIES)
    ctype = data.draw(
        st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded", "", "a/b"]
        )
    )
    headers = {"Content-Type": ctype} if ctype else {}
    if data.draw(st.booleans()):
        resp = fuzzer.call(
            route, path, data=iter([raw[: len(raw) // 2], raw[len(raw) // 2 :]]), headers=headers
        )  # chunked transfer encoding
    else:
        resp = fuzzer.call(route, path, data=raw, headers=headers)
    _learn(fuzzer, resp)


QUERY_KEYS = st.sampled_from(["token", "last_event_id", "limit", "offset", "q", "x", "", "format"])
HEADER_NAMES = st.sampled_from(
    ["Last-Event-ID", "Authorization", "Content-Type", "Accept", "X-Forwarded-For",
     "X-Forwarded-Host", "Cookie", "Range", "Accept-Encoding", "Transfer-Encoding"]
)  # fmt: skip
#: What an HTTP header value may hold (RFC 9110 field-vchar, SP, obs-text): no DEL, no CTLs.
LATIN1 = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters="\x7f"),
    max_size=80,
)


@FUZZ
@given(data=st.data())
def test_fuzz_ids_queries_and_headers(fuzzer: Fuzzer, data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(sorted(ROUTES)))
    path = _fill(fuzzer, data.draw, route[1])
    # (values capped: a head over h11's 16 KiB is refused before the app, see below)
    values = st.one_of(st.text(max_size=300), SPECIAL_TEXT.filter(lambda t: len(t) < 1000))
    params = data.draw(st.lists(st.tuples(QUERY_KEYS, values), max_size=3))
    query = "&".join(
        f"{quote(k, safe='')}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in params
    )
    # (values stripped: requests refuses leading whitespace, and HTTP drops it anyway)
    headers = {
        k: v.strip() for k, v in data.draw(st.lists(st.tuples(HEADER_NAMES, LATIN1), max_size=3))
    }
    headers.pop("Transfer-Encoding", None)  # that one would desync the connection itself
    auth = True
    if "Authorization" in headers:  # a fuzzed Authorization replaces ours: maybe 401
        auth = False
        if not headers["Authorization"].strip():
            headers.pop("Authorization")
    url = path + ("?" + query if query else "")
    kw: dict[str, Any] = {}
    if route[0] in ("POST", "PATCH", "PUT"):
        kw["data"] = json.dumps(data.draw(json_bodies())).encode()
    resp = fuzzer.call(route, url, auth=auth, headers=headers, **kw)
    if auth or route == ("GET", "/api/health"):
        _learn(fuzzer, resp)


@FUZZ
@given(data=st.data())
def test_fuzz_guard_headers(fuzzer: Fuzzer, data: st.DataObject) -> None:
    """A foreign Origin or Host is 403 on every route, whatever else the request holds."""
    route = data.draw(st.sampled_from(sorted(ROUTES)))
    path = _fill(fuzzer, data.draw, route[1])
    if data.draw(st.booleans()):
        own = {f"http://{n}:{fuzzer.port}" for n in ("127.0.0.1", "localhost", "[::1]")}
        origin = data.draw(
            st.one_of(
                st.sampled_from(["null", "http://evil.example", "http://localhost:5173",
                                 f"http://127.0.0.1:{fuzzer.port + 1}", "file://"]),
                LATIN1.filter(lambda o: bool(o) and o.strip().rstrip("/").lower() not in own),
            )
        )  # fmt: skip
        headers = {"Origin": origin}
    else:
        host = data.draw(
            st.one_of(
                st.sampled_from(["evil.example", f"evil.example:{fuzzer.port}",
                                 f"127.0.0.1.nip.io:{fuzzer.port}", "localhost",
                                 f"127.0.0.2:{fuzzer.port}", f"LOCALHOST:{fuzzer.port + 1}",
                                 f"0.0.0.0:{fuzzer.port}", f"[::ffff:127.0.0.1]:{fuzzer.port}"]),
                LATIN1.filter(lambda h: h.strip() != ""),
            )
        )  # fmt: skip
        loopback = {f"{n}:{fuzzer.port}" for n in ("127.0.0.1", "localhost", "[::1]")}
        if host.strip().lower() in loopback:
            host = "x" + host
        headers = {"Host": host}
    status = _raw_status(fuzzer, route[0], path, headers)
    fuzzer.cases[f"guard {route[0]} {route[1]}"] += 1
    fuzzer.statuses[status] += 1
    assert status in (403, 400), (route, headers, status)  # 400: h11 refused the header


def _raw_status(fz: Fuzzer, method: str, path: str, headers: dict[str, str]) -> int:
    """Send a request with exactly these headers (requests would fix up `Host`)."""
    lines = [f"{method} {path} HTTP/1.1"]
    if "Host" not in headers:
        lines.append(f"Host: 127.0.0.1:{fz.port}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Authorization: Bearer {fz.token}", "Content-Length: 0", "Connection: close"]
    with socket.create_connection(("127.0.0.1", fz.port), timeout=10) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    match = re.match(rb"HTTP/1\.1 (\d{3})", head)
    assert match, head
    return int(match.group(1))


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


def test_oversized_request_head_is_refused_and_the_server_lives(fuzzer: Fuzzer) -> None:
    """A request head of 100 KB: h11 refuses it (a plain 400, before the app) when it comes
    in pieces over its 16 KiB limit, or parses it when it arrives at once; either way the
    answer is never a 500 and the server goes on serving."""
    for path, headers, served in (
        ("/api/conversations?q=" + "A" * 100_000, {}, 200),
        ("/api/conversations", {"X-Big": "B" * 100_000}, 200),
        ("/api/messages/" + "C" * 100_000 + "/events", {}, 404),
    ):
        status = _raw_status(fuzzer, "GET", path, headers)
        fuzzer.cases["oversized head"] += 1
        assert status in (served, 400, 414, 431), status
        health = fuzzer.session.get(fuzzer.base_url + "/api/health", timeout=10)
        assert health.status_code == 200


def test_fuzz_covers_every_route_of_the_openapi_schema(tmp_path: Path) -> None:
    """The app hides /openapi.json; its schema, built in-process, lists no route we skip."""
    schema = create_app(Settings(data_dir=tmp_path)).openapi()
    listed = {
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    assert listed, schema
    assert listed <= set(ROUTES), f"routes the fuzz does not cover: {listed - set(ROUTES)}"


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
