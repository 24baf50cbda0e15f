"""The one HTTP client class of the test suites: `TokenApi`, for one running backend.

Every suite's `Api` is this class or a subclass adding conveniences of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests


@dataclass
class TokenApi:
    """Requests to the server at `base_url`, with `token` (if any) as the bearer token.

    Paths are appended to `base_url` as they are (`api.get("/api/conversations")`). Each
    request gets `request_timeout` seconds unless the call passes its own `timeout`, and
    the token unless it passes `auth=False`. With a `session` (the default) requests share
    its connections and the session carries the token (for `EventSource(session=...)`);
    with `session=None` each request has a connection of its own, so one client can be
    used from many threads.
    """

    base_url: str
    token: str | None
    session: requests.Session | None = field(default_factory=requests.Session)

    #: Seconds a request may take unless the call passes `timeout=`.
    request_timeout: ClassVar[float] = 10

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if self.session is not None and self.token:
            self.session.headers["Authorization"] = f"Bearer {self.token}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.request_timeout)
        headers: dict[str, str | None] = dict(self.auth_headers()) if auth else {}
        if not auth and self.session is not None:
            headers["Authorization"] = None  # drops the session's header for this request
        headers.update(kwargs.pop("headers", None) or {})
        send = self.session.request if self.session is not None else requests.request
        return send(method, self.url(path), headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def get_json(self, path: str) -> Any:
        """GET `path`, which must answer 200: its JSON."""
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def send(self, cid: str, content: str) -> dict[str, Any]:
        """Post a user message to conversation `cid`: the accepted turn (202) as a dict."""
        response = self.post(f"/api/conversations/{cid}/messages", json={"content": content})
        assert response.status_code == 202, response.text
        return dict(response.json())
