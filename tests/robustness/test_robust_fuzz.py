"""Part 3: property-based fuzzing of every route of the real server, over HTTP on loopback.

Thousands of generated bodies, ids, headers and query strings: the backend answers only the
statuses its documents list for that route, never a 500, errors keep their JSON shape, and
the store stays consistent (no orphans, `updated_at` >= its messages' `created_at`, at most
one streaming reply per conversation).

CI runs a derandomized profile (`ROBUST_FUZZ_EXAMPLES`, default 800 per property test, keeps
the file well under a minute); `bench/` or `ROBUST_FUZZ_EXAMPLES=5000 ROBUST_FUZZ_RANDOM=1`
run a bigger, randomized search. The content round trip and the fuzz's regressions are in
`test_robust_fuzz_content.py`; the route table, `Fuzzer` and strategies in
`tests/support/fuzz_support.py`, the `fuzzer` fixture in `conftest.py`.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from backend.app import create_app
from backend.config import Settings
from tests.support.fuzz_support import (
    BODY_ROUTES,
    FUZZ,
    RAW_BODIES,
    ROUTES,
    SPECIAL_TEXT,
    Fuzzer,
    fill_path,
    json_bodies,
    learn_ids,
)

# --------------------------------------------------------------------------- properties


@FUZZ
@given(data=st.data())
def test_fuzz_json_bodies(fuzzer: Fuzzer, data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(BODY_ROUTES))
    path = fill_path(fuzzer, data.draw, route[1])
    body = data.draw(json_bodies())
    raw = json.dumps(body, ensure_ascii=data.draw(st.booleans())).encode("utf-8", "surrogatepass")
    resp = fuzzer.call(route, path, data=raw, headers={"Content-Type": "application/json"})
    learn_ids(fuzzer, resp)


@FUZZ
@given(data=st.data())
def test_fuzz_raw_bodies(fuzzer: Fuzzer, data: st.DataObject) -> None:
    """Invalid UTF-8, huge, deeply nested, not JSON at all, chunked, any content type."""
    route = data.draw(st.sampled_from(BODY_ROUTES))
    path = fill_path(fuzzer, data.draw, route[1])
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
    learn_ids(fuzzer, resp)


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
    path = fill_path(fuzzer, data.draw, route[1])
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
        learn_ids(fuzzer, resp)


@FUZZ
@given(data=st.data())
def test_fuzz_guard_headers(fuzzer: Fuzzer, data: st.DataObject) -> None:
    """A foreign Origin or Host is 403 on every route, whatever else the request holds."""
    route = data.draw(st.sampled_from(sorted(ROUTES)))
    path = fill_path(fuzzer, data.draw, route[1])
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
