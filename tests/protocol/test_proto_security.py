"""PROTOCOL.md section 1: transport and security (in-thread EmbeddedServer).

The listening address, the token (401), the Host and Origin guards (403) and CORS, the token
kept out of the logs. Bad input (404, 405, 413, 422) is in `test_proto_bad_input.py`.
"""

from __future__ import annotations

import logging
import re
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from .conftest import ServerFactory
from .sse_support import read_stream
from .support import Api, check_error, raw_get

FOREIGN_ORIGIN = "http://evil.example"
ALLOWED_ORIGIN = "http://localhost:5173"


@pytest.fixture(scope="module")
def ids(server: Any) -> dict[str, str]:
    """Real ids (a finished turn) so that auth is tested on otherwise valid requests."""
    return Api(server.base_url, server.token).finished_turn("auth probe")


# (method, path template, json body) - every route of section 3 and section 6 but health
PROTECTED = [
    ("GET", "/api/conversations", None),
    ("POST", "/api/conversations", {"title": "x"}),
    ("GET", "/api/conversations/{cid}", None),
    ("PATCH", "/api/conversations/{cid}", {"title": "y"}),
    ("DELETE", "/api/conversations/{cid}", None),
    ("POST", "/api/conversations/{cid}/messages", {"content": "hi"}),
    ("PATCH", "/api/messages/{user}", {"content": "hi"}),
    ("POST", "/api/messages/{reply}/regenerate", None),
    ("POST", "/api/messages/{reply}/cancel", None),
    ("GET", "/api/messages/{reply}/events", None),
    ("POST", "/stream", {"message": "hi"}),
    ("GET", "/stream", None),
]


def _call(srv: Any, method: str, path: str, body: Any, **kw: Any) -> requests.Response:
    kw.setdefault("timeout", 10)
    return requests.request(method, srv.base_url + path, json=body, stream=True, **kw)


# ------------------------------------------------------------------ listening address & token


def test_embedded_server_listens_on_loopback_on_an_os_chosen_port(server: Any) -> None:
    parts = urlsplit(server.base_url)
    assert parts.scheme == "http"
    assert parts.hostname == "127.0.0.1"
    assert parts.port and parts.port > 0


def test_embedded_token_is_fresh_and_token_urlsafe_32(make_server: ServerFactory) -> None:
    with make_server() as a, make_server() as b:
        for tok in (a.token, b.token):
            assert re.fullmatch(r"[A-Za-z0-9_-]{43}", tok), tok
        assert a.token != b.token
        assert urlsplit(a.base_url).port != urlsplit(b.base_url).port


def test_health_needs_no_token(server: Any) -> None:
    r = requests.get(server.base_url + "/api/health", timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert isinstance(body["version"], str) and body["version"]


# ------------------------------------------------------------------ 401


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_missing_token_is_401(server: Any, ids: dict, method: str, path: str, body: Any) -> None:
    r = _call(server, method, path.format(**ids), body)
    check_error(r, 401)


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_wrong_bearer_token_is_401(
    server: Any, ids: dict, method: str, path: str, body: Any
) -> None:
    for bad in (server.token + "x", server.token[:-1], "", "null"):
        r = _call(
            server, method, path.format(**ids), body, headers={"Authorization": f"Bearer {bad}"}
        )
        check_error(r, 401)


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_wrong_query_token_is_401(
    server: Any, ids: dict, method: str, path: str, body: Any
) -> None:
    for bad in (server.token + "x", server.token[:-1], ""):
        r = _call(server, method, path.format(**ids), body, params={"token": bad})
        check_error(r, 401)


def test_token_without_bearer_scheme_is_401(server: Any) -> None:
    r = _call(server, "GET", "/api/conversations", None, headers={"Authorization": server.token})
    check_error(r, 401)


def test_query_token_is_accepted(server: Any, ids: dict) -> None:
    r = requests.get(
        server.base_url + "/api/conversations", params={"token": server.token}, timeout=10
    )
    assert r.status_code == 200, r.text
    r = requests.get(
        server.base_url + f"/api/conversations/{ids['cid']}",
        params={"token": server.token},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    res = read_stream(
        server.base_url + f"/api/messages/{ids['reply']}/events", params={"token": server.token}
    )
    assert res.status == 200
    assert res.last.type == "end"
    assert res.text == "auth probe"


def test_bearer_header_is_accepted(server: Any) -> None:
    r = requests.get(
        server.base_url + "/api/conversations",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text


def test_auth_off_needs_no_token(make_server: ServerFactory) -> None:
    with make_server(auth=False) as srv:
        api = Api(srv.base_url, None)
        cid, turn = api.new_turn("open")
        assert api.get("/api/conversations").status_code == 200
        assert api.follow(turn["reply"]["id"]).text == "open"


# ------------------------------------------------------------------ 403 Host guard


def _port(srv: Any) -> int:
    port = urlsplit(srv.base_url).port
    assert port
    return port


@pytest.mark.parametrize("host_fmt", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}"])
def test_loopback_host_headers_pass(server: Any, host_fmt: str) -> None:
    port = _port(server)
    status, _, _ = raw_get(
        port,
        "/api/conversations",
        host_fmt.format(port=port),
        {"Authorization": f"Bearer {server.token}"},
    )
    assert status == 200


@pytest.mark.parametrize(
    "host_fmt",
    [
        "evil.example:{port}",
        "evil.example",
        "127.0.0.1.nip.io:{port}",
        "localhost.evil:{port}",
        "192.168.1.10:{port}",
    ],
)
@pytest.mark.parametrize("path", ["/api/conversations", "/api/health"])
def test_foreign_host_header_is_403(server: Any, host_fmt: str, path: str) -> None:
    port = _port(server)
    status, headers, body = raw_get(
        port, path, host_fmt.format(port=port), {"Authorization": f"Bearer {server.token}"}
    )
    assert status == 403, (status, body[:200])


@pytest.mark.parametrize("host_fmt", ["127.0.0.1", "localhost", "localhost:{other}"])
def test_loopback_host_with_wrong_or_missing_port_is_403(server: Any, host_fmt: str) -> None:
    """The text allows exactly `127.0.0.1:<port>`, `localhost:<port>`, `[::1]:<port>`."""
    port = _port(server)
    status, _, body = raw_get(
        port,
        "/api/conversations",
        host_fmt.format(other=port + 1 if port < 65535 else port - 1),
        {"Authorization": f"Bearer {server.token}"},
    )
    assert status == 403, (status, body[:200])


# ------------------------------------------------------------------ 403 Origin, CORS


@pytest.mark.parametrize("origin", [FOREIGN_ORIGIN, ALLOWED_ORIGIN, "null"])
def test_any_origin_is_403_when_none_allowed(server: Any, origin: str) -> None:
    api = Api(server.base_url, server.token)
    r = api.get("/api/conversations", headers={"Origin": origin})
    check_error(r, 403)
    r = api.post("/api/conversations", json={"title": "x"}, headers={"Origin": origin})
    check_error(r, 403)


def test_foreign_origin_is_403_even_on_an_allowing_server(make_server: ServerFactory) -> None:
    with make_server(allow_origins=(ALLOWED_ORIGIN,)) as srv:
        api = Api(srv.base_url, srv.token)
        check_error(api.get("/api/conversations", headers={"Origin": FOREIGN_ORIGIN}), 403)
        r = requests.options(
            srv.base_url + "/api/conversations",
            headers={"Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        assert r.status_code == 403, (r.status_code, r.text)
        assert "access-control-allow-origin" not in r.headers


def test_allowed_origin_passes_with_cors_headers(make_server: ServerFactory) -> None:
    with make_server(allow_origins=(ALLOWED_ORIGIN,)) as srv:
        api = Api(srv.base_url, srv.token)
        r = api.get("/api/conversations", headers={"Origin": ALLOWED_ORIGIN})
        assert r.status_code == 200, r.text
        assert r.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
        # a browser EventSource: Origin plus ?token=, no Authorization header
        cid, turn = api.new_turn("from a browser")
        res = read_stream(
            api.events_url(turn["reply"]["id"]),
            headers={"Origin": ALLOWED_ORIGIN},
            params={"token": srv.token},
        )
        assert res.status == 200, res.raw[:200]
        assert res.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
        assert res.text == "from a browser"
        # still needs the token
        check_error(
            api.get("/api/conversations", auth=False, headers={"Origin": ALLOWED_ORIGIN}), 401
        )


def test_cors_preflight_from_allowed_origin_needs_no_token(make_server: ServerFactory) -> None:
    with make_server(allow_origins=(ALLOWED_ORIGIN,)) as srv:
        r = requests.options(
            srv.base_url + "/api/conversations",
            headers={
                "Origin": ALLOWED_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
            timeout=10,
        )
        assert 200 <= r.status_code < 300, (r.status_code, r.text)
        assert r.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
        methods = r.headers.get("access-control-allow-methods", "").upper()
        assert "POST" in methods or "*" in methods, r.headers
        allowed = r.headers.get("access-control-allow-headers", "").lower()
        assert ("authorization" in allowed and "content-type" in allowed) or "*" in allowed, (
            r.headers
        )


def test_request_without_origin_passes_on_an_allowing_server(make_server: ServerFactory) -> None:
    with make_server(allow_origins=(ALLOWED_ORIGIN,)) as srv:
        assert Api(srv.base_url, srv.token).get("/api/conversations").status_code == 200


def test_embedded_server_is_not_reachable_beyond_127_0_0_1(server: Any) -> None:
    """Bound to 127.0.0.1 only, never all interfaces: 127.0.0.2 (also loopback on Linux,
    but a different address) and the host's own addresses must not answer."""
    port = _port(server)
    candidates = {"127.0.0.2"}
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent; picks the outward address
            candidates.add(s.getsockname()[0])
    except OSError:
        pass
    candidates.discard("127.0.0.1")
    for addr in candidates:
        with pytest.raises(OSError), socket.create_connection((addr, port), timeout=2):
            pass


def test_token_never_appears_in_embedded_logs(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with make_server() as srv:
        q = {"token": srv.token}
        api = Api(srv.base_url, srv.token)
        cid, turn = api.new_turn("log probe")
        read_stream(api.events_url(turn["reply"]["id"]), params=q)
        requests.get(srv.base_url + "/api/conversations", params=q, timeout=10)
        requests.get(srv.base_url + "/api/conversations/nope", params=q, timeout=10)
        requests.get(
            srv.base_url + "/api/conversations", params={"token": srv.token + "x"}, timeout=10
        )
        api.post(f"/api/conversations/{cid}/messages", data=b"{", headers={"X": srv.token})
    out, err = capfd.readouterr()
    # the test's own HTTP client (urllib3) logs its URLs; only the server's records count
    server_logs = "\n".join(
        f"{r.name}: {r.getMessage()}" for r in caplog.records if not r.name.startswith("urllib3")
    )
    for where, text in (("log records", server_logs), ("stdout", out), ("stderr", err)):
        assert srv.token not in text, f"token found in {where}"
