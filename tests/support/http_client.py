"""A `requests` client for one running backend, its bearer token sent with every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests


@dataclass
class TokenApi:
    """A `requests` session for the server at `base_url`, with `token` as its bearer token.

    Paths are appended to `base_url` as they are (`api.get("/api/conversations")`). Each
    request gets `request_timeout` seconds unless the call passes its own `timeout`.
    Suites subclass it to add conveniences of their own.
    """

    base_url: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)

    #: Seconds a request may take unless the call passes `timeout=`.
    request_timeout: ClassVar[float] = 10

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.request_timeout)
        return self.session.request(method, self.base_url + path, **kwargs)

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

    def send(self, cid: str, content: str) -> dict[str, Any]:
        """Post a user message to conversation `cid`: the accepted turn (202) as a dict."""
        response = self.post(f"/api/conversations/{cid}/messages", json={"content": content})
        assert response.status_code == 202, response.text
        return dict(response.json())
