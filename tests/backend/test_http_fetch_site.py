"""`serve --no-auth`: a cross-site request without an allowed `Origin` is refused (issue 11,
item 9). Any web page could otherwise make the browser fetch `<img src=".../stream">`, a GET
without `Origin`, and consume the tutorial's pending message; browsers send
`Sec-Fetch-Site` on every request, and `Origin` on `fetch` and `EventSource`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import requests

from backend.config import Settings
from backend.embedded import EmbeddedServer

ALLOWED = "http://localhost:5173"


@pytest.fixture
def open_server(settings: Settings) -> Iterator[EmbeddedServer]:
    """`serve --no-auth --allow-origin http://localhost:5173`, the tutorial's set-up."""
    no_auth = dataclasses.replace(settings, auth=False, allow_origins=(ALLOWED,), echo_delay=0)
    with EmbeddedServer(no_auth) as server:
        yield server


def _post_pending(base: str, text: str) -> None:
    answer = requests.post(f"{base}/stream", json={"message": text}, timeout=5)
    assert answer.status_code == 200 and answer.text == "success"


def test_a_cross_site_image_load_cannot_take_the_pending_message(
    open_server: EmbeddedServer,
) -> None:
    base = open_server.base_url
    _post_pending(base, "secret plan")
    # What a browser sends for <img src="http://127.0.0.1:PORT/stream"> on another site.
    image = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    refused = requests.get(f"{base}/stream", headers=image, timeout=5)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Forbidden cross-site request"}
    for path in ("/api/conversations", "/api/settings", "/v1/models"):
        assert requests.get(base + path, headers=image, timeout=5).status_code == 403, path
    posted = requests.post(
        f"{base}/api/conversations", json={}, headers={"Sec-Fetch-Site": "cross-site"}, timeout=5
    )
    assert posted.status_code == 403
    foreign = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    assert requests.get(f"{base}/stream", headers=foreign, timeout=5).status_code == 403

    # The tutorial's own client (EventSource from the allowed origin) still gets it, whole.
    tutorial = {"Sec-Fetch-Site": "cross-site", "Origin": ALLOWED, "Accept": "text/event-stream"}
    with requests.get(f"{base}/stream", headers=tutorial, stream=True, timeout=5) as stream:
        assert stream.status_code == 200
        assert stream.headers["access-control-allow-origin"] == ALLOWED
        body = stream.text
    assert "event: end" in body and body.count("data: ") == len("secret plan ")


@pytest.mark.parametrize("site", [None, "same-origin", "same-site", "none"])
def test_requests_that_are_not_cross_site_pass(open_server: EmbeddedServer, site: str) -> None:
    headers = {} if site is None else {"Sec-Fetch-Site": site}
    answer = requests.get(f"{open_server.base_url}/api/conversations", headers=headers, timeout=5)
    assert answer.status_code == 200, answer.text


def test_with_a_token_cross_site_is_left_to_the_token(server: EmbeddedServer) -> None:
    """With auth on, the token decides (an image load cannot carry it unless the page has
    it); nothing changes there."""
    headers = {"Sec-Fetch-Site": "cross-site", "Authorization": f"Bearer {server.token}"}
    answer = requests.get(f"{server.base_url}/api/conversations", headers=headers, timeout=5)
    assert answer.status_code == 200
