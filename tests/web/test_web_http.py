"""The page over plain HTTP: served without a token, its headers (PROTOCOL.md section 12),
the own-origin rule of section 1 (foreign origins and rebinding Hosts still refused)."""

from __future__ import annotations

import http.client
from typing import Any

import pytest
import requests

from backend.embedded import EmbeddedServer
from backend.web import STATIC_DIR

CSP_DIRECTIVES = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def csp_of(response: requests.Response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = [d.strip().split(None, 1) for d in policy.split(";") if d.strip()]
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def raw_get(server: EmbeddedServer, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """A GET with exactly these headers (`Host` included), as a browser could send it."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/?token=wrong", "/?token="])
def test_page_needs_no_token_and_carries_the_security_headers(
    server: EmbeddedServer, path: str
) -> None:
    response = requests.get(server.base_url + path, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<script type="module" src="/app/main.js"></script>' in response.text
    assert "<script>" not in response.text  # no inline script anywhere
    policy = csp_of(response)
    for directive, value in CSP_DIRECTIVES.items():
        assert policy.get(directive) == value, (directive, policy)
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    head = requests.head(server.base_url + path, timeout=10)
    assert head.status_code == 200 and head.text == ""
    assert head.headers["Content-Security-Policy"] == response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/app/main.js", "text/javascript"),
        ("/app/style.css", "text/css"),
        ("/app/icon.svg", "image/svg+xml"),
        ("/app/vendor/marked/marked.esm.js", "text/javascript"),
        ("/app/vendor/katex/fonts/KaTeX_Main-Regular.woff2", "font/woff2"),
        ("/app/index.html", "text/html"),
    ],
)
def test_page_files_need_no_token_and_have_their_types(
    server: EmbeddedServer, path: str, content_type: str
) -> None:
    response = requests.get(server.base_url + path, timeout=10)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"].split(";")[0] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("path", ["/", "/app/main.js"])
@pytest.mark.parametrize("value", ["", "bytes=", "bytes=9-1", "lines=1-2", "bytes=0-10"])
def test_a_range_header_gets_the_whole_file(server: EmbeddedServer, path: str, value: str) -> None:
    """The page's files are sent whole; a Range header (even a malformed one) is ignored."""
    whole = requests.get(server.base_url + path, timeout=10)
    ranged = requests.get(server.base_url + path, headers={"Range": value}, timeout=10)
    assert ranged.status_code == 200, ranged.text
    assert ranged.content == whole.content


@pytest.mark.parametrize(
    "path", ["/app/", "/app/nothing.js", "/app/../backend/app.py", "/app/%2e%2e/web.py"]
)
def test_nothing_outside_the_page_files_is_served(server: EmbeddedServer, path: str) -> None:
    response = requests.get(server.base_url + path, timeout=10, allow_redirects=False)
    assert response.status_code == 404, (path, response.status_code)
    assert response.json() == {"detail": "Not Found"}


def test_the_api_still_needs_the_token_and_every_answer_has_the_headers(
    server: EmbeddedServer,
) -> None:
    for path in ("/api/conversations", "/api/events", "/api/settings", "/v1/models"):
        response = requests.get(server.base_url + path, timeout=10)
        assert response.status_code == 401, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert csp_of(response)["default-src"] == "'none'", path


def own_origins(server: EmbeddedServer) -> list[str]:
    return [f"http://{host}:{server.port}" for host in ("127.0.0.1", "localhost", "[::1]")]


def test_the_servers_own_origin_is_allowed(server: EmbeddedServer, api: Any) -> None:
    """A request from the page itself carries `Origin: http://<Host>` (a POST always does)."""
    for origin in own_origins(server):
        headers = {"Authorization": f"Bearer {server.token}", "Origin": origin}
        listed = requests.get(f"{server.base_url}/api/conversations", headers=headers, timeout=10)
        assert listed.status_code == 200, origin
        made = requests.post(
            f"{server.base_url}/api/conversations", json={"title": "o"}, headers=headers, timeout=10
        )
        assert made.status_code == 201, origin
        assert "access-control-allow-origin" not in made.headers  # same origin: no CORS
    status, _ = raw_get(
        server,
        f"/api/conversations?token={server.token}",
        {"Host": f"localhost:{server.port}", "Origin": f"http://localhost:{server.port}"},
    )
    assert status == 200


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1",  # another port (80)
        "http://127.0.0.1:1",
        "https://127.0.0.1:{port}",  # another scheme
        "http://127.0.0.1:{port}.evil.example",
        "http://evil.example:{port}",
        "null",
    ],
)
def test_a_foreign_origin_is_refused(server: EmbeddedServer, origin: str) -> None:
    origin = origin.format(port=server.port)
    for method in ("GET", "POST"):
        response = requests.request(
            method,
            f"{server.base_url}/api/conversations",
            headers={"Authorization": f"Bearer {server.token}", "Origin": origin},
            json={} if method == "POST" else None,
            timeout=10,
        )
        assert response.status_code == 403, (origin, method)
        assert response.json() == {"detail": "Forbidden origin"}
        assert "access-control-allow-origin" not in response.headers


def test_a_rebinding_host_is_refused_even_with_its_own_origin(server: EmbeddedServer) -> None:
    """DNS rebinding: evil.example resolves to 127.0.0.1; the browser sends its name."""
    for path in ("/", "/app/main.js", f"/api/conversations?token={server.token}"):
        status, body = raw_get(
            server,
            path,
            {"Host": f"evil.example:{server.port}", "Origin": f"http://evil.example:{server.port}"},
        )
        assert status == 403, path
        assert "Forbidden host" in body
        status, _ = raw_get(server, path, {"Host": f"evil.example:{server.port}"})
        assert status == 403, path


def test_the_page_loads_nothing_from_another_host() -> None:
    """The page's own files name no other host (the vendored ones are checked by the
    browser tests: nothing is fetched from elsewhere, and the CSP would block it)."""
    own = [p for p in STATIC_DIR.rglob("*") if p.is_file() and "vendor" not in p.parts]
    assert own
    for path in own:
        if path.suffix not in {".html", ".js", ".css"}:
            continue
        text = path.read_text(encoding="utf-8")
        for marker in ("https://", "http://", 'src="//', "url(//"):
            for line in text.splitlines():
                if marker in line and "www.w3.org/2000/svg" not in line:
                    raise AssertionError(f"{path.name}: {line.strip()}")
