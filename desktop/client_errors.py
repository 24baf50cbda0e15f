"""The errors of `desktop.client.ChatClient`, apart from it: the window's modules catch
them without importing `requests` (about a fifth of the CPU the app spends before its
first paint), which only `desktop.client` and the workers need, once the backend is up."""

from __future__ import annotations

from typing import Final

_STATUS_TEXT: Final = {
    401: "The backend refused the access token.",
    403: "The backend refused the request.",
    404: "That item no longer exists.",
    409: "A reply is still being written in this conversation. Wait or stop it first.",
    413: "The message is too long.",
    422: "The backend could not accept that input.",
    502: "The model server failed.",
}


class ApiError(Exception):
    """A failed call: `status` is the HTTP status (0 when nothing answered)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    @property
    def message(self) -> str:
        """A readable sentence for the UI."""
        generic = _STATUS_TEXT.get(self.status)
        if self.status == 0:
            return f"Cannot reach the chat backend ({self.detail})."
        if generic and self.detail and self.detail not in generic:
            return f"{generic} ({self.detail})"
        return generic or self.detail or f"The backend answered HTTP {self.status}."

    def __str__(self) -> str:
        return self.message


class StreamDropped(Exception):
    """An event stream ended without its `end`/`error` event (raised while iterating)."""
