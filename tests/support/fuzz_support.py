"""Shared parts of the HTTP fuzz suites (tests/robustness/test_robust_fuzz*.py).

The route table with the statuses each route may answer, the `Fuzzer` that sends a case and
checks its answer (never a 500, only documented statuses, errors in their JSON shape) and the
store after it, `running_fuzzer` (a seeded real server), and the hypothesis strategies the
suites draw bodies, texts and ids from.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from backend.config import Settings
from backend.embedded import EmbeddedServer
from tests.support.robust_helpers import FIGURES, wait_for
from tests.support.store_checks import store_problems

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
            conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
            try:
                return not conn.execute(
                    "SELECT 1 FROM messages WHERE status = 'streaming'"
                ).fetchone()
            finally:
                conn.close()

        wait_for(idle, timeout=20, what="replies to finish")
        self.consistent()


@contextmanager
def running_fuzzer(data: Path) -> Iterator[Fuzzer]:
    """A real server in `data` with three seeded turns and the round-trip conversation;
    on the way out, waits for its replies, checks the store and records the figures."""
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


def safe_value(name: str, value: Any) -> Any:
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
        body[name] = safe_value(name, value)
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


def pick_id(fz: Fuzzer, draw: Callable[..., Any], kind: str) -> str:
    pool = fz.cids if kind == "cid" else fz.mids
    if draw(st.booleans()):  # a real object (drawn by index: the pool changes)
        return pool[draw(st.integers(0, 1 << 16)) % len(pool)]
    return draw(IDS)


def fill_path(fz: Fuzzer, draw: Callable[..., Any], template: str) -> str:
    path = template.replace("{cid}", pick_id(fz, draw, "cid")) if "{cid}" in template else template
    return path.replace("{mid}", pick_id(fz, draw, "mid")) if "{mid}" in path else path


def learn_ids(fz: Fuzzer, resp: requests.Response) -> None:
    """Keep ids of what the fuzz created, so later cases hit real objects too."""
    if resp.status_code == 201:
        with_id = json.loads(resp.content or b"{}")
        if isinstance(with_id, dict) and "id" in with_id:
            fz.cids.append(with_id["id"])
    elif resp.status_code == 202 and resp.content:
        turn = json.loads(resp.content)
        fz.mids += [turn["message"]["id"], turn["reply"]["id"]]
    del fz.cids[:-40], fz.mids[:-80]
