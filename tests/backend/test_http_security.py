"""Token, Host and Origin guards, CORS for allowed origins, body size limit."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import requests

from backend.config import Settings
from backend.embedded import EmbeddedServer
from tests.support.backend_helpers import Api

ALLOWED = "http://localhost:5173"


def test_token_is_needed_except_for_health(server: EmbeddedServer) -> None:
    base = server.base_url
    health = requests.get(f"{base}/api/health", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": server.token}):
        denied = requests.get(f"{base}/api/conversations", headers=headers, timeout=5)
        assert denied.status_code == 401 and isinstance(denied.json()["detail"], str)
    assert requests.get(f"{base}/stream", timeout=5).status_code == 401
    assert requests.get(f"{base}/api/messages/x/events", timeout=5).status_code == 401
    ok_header = requests.get(
        f"{base}/api/conversations", headers={"Authorization": f"bearer {server.token}"}, timeout=5
    )
    ok_query = requests.get(f"{base}/api/conversations", params={"token": server.token}, timeout=5)
    assert ok_header.status_code == ok_query.status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "127.0.0.1:1", "localhost", "evil.example"]
)
def test_foreign_host_is_forbidden(api: Api, server: EmbeddedServer, host: str) -> None:
    response = api.get("/api/health", headers={"Host": host.format(port=server.port)})
    assert response.status_code == 403 and isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}"])
def test_loopback_hosts_pass(api: Api, server: EmbeddedServer, host: str) -> None:
    assert api.get("/api/conversations", headers={"Host": host.format(port=server.port)}).ok


def test_unlisted_origin_is_forbidden(api: Api) -> None:
    assert api.get("/api/health", headers={"Origin": ALLOWED}).status_code == 403
    preflight = api.request(
        "OPTIONS",
        "/api/conversations",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 403


@pytest.fixture
def cors_server(settings: Settings) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(dataclasses.replace(settings, allow_origins=(ALLOWED,)))
    server.start()
    yield server
    server.stop()


def test_allowed_origin_gets_cors_and_a_tokenless_preflight(cors_server: EmbeddedServer) -> None:
    base = cors_server.base_url
    preflight = requests.options(
        f"{base}/api/conversations",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=5,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    listed = requests.get(
        f"{base}/api/conversations",
        headers={"Origin": ALLOWED, "Authorization": f"Bearer {cors_server.token}"},
        timeout=5,
    )
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == ALLOWED


def test_no_auth_mode(settings: Settings) -> None:
    with EmbeddedServer(dataclasses.replace(settings, auth=False)) as server:
        assert requests.get(f"{server.base_url}/api/conversations", timeout=5).status_code == 200


def test_bodies_over_one_mib_are_413(api: Api) -> None:
    big = b'{"content": "' + b"x" * (1 << 20) + b'"}'
    declared = api.post(
        "/api/conversations", data=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413 and isinstance(declared.json()["detail"], str)

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for _ in range(17):
            yield b"x" * 65536

    streamed = api.post(
        "/api/conversations", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_unknown_routes_and_methods_answer_json(api: Api) -> None:
    missing = api.get("/api/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
    assert api.request("PUT", "/api/conversations").status_code == 405


def test_an_unexpected_error_is_a_plain_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("backend.store.Store.list_conversations", explode)
    response = api.get("/api/conversations")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error"}
