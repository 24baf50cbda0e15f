"""`ChatClient`: the one place in the desktop that knows the backend's URLs.

Every method blocks on the network, so call them off the GUI thread (see
`desktop.workers.api`). Failures of any kind raise `ApiError` with a message a
person can read; the HTTP status is kept for callers that care (0 = no answer).
"""

from __future__ import annotations

import json as jsonlib
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final
from urllib.parse import urlencode

import requests
from requests_sse import EventSource, ReadyState

from desktop.client_errors import ApiError, StreamDropped
from desktop.records import Conversation, ConversationDetail, Message, ProviderCheck, Turn

__all__ = ["CHUNK", "ApiError", "ChatClient", "StreamDropped", "json_body"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT: Final = 3.05
READ_TIMEOUT: Final = 15.0
#: The server pings a silent stream every 15 s; twice that means the line is dead.
STREAM_READ_TIMEOUT: Final = 35.0
#: An import of a big file is read and stored before it is answered.
IMPORT_READ_TIMEOUT: Final = 600.0
#: Bytes per chunk of an export written (an import is sent in `transfer.CHUNK`s).
CHUNK: Final = 256 * 1024


def _detail_of(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and detail:  # FastAPI validation errors
        first = detail[0]
        if isinstance(first, dict) and "msg" in first:
            return str(first["msg"])
    return response.reason or ""


def json_body(body: dict[str, Any]) -> bytes:
    """`body` as UTF-8 JSON, characters as they are: an emoji is 4 bytes, not a 12-byte
    `\\ud83d\\ude00` escape (so a message within the character limit stays within the body
    limit). A lone surrogate cannot be UTF-8: it is sent escaped, for the backend to refuse."""
    try:
        return jsonlib.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return jsonlib.dumps(body).encode("ascii")


class ChatClient:
    """HTTP access to one backend (`base_url`, bearer `token`). Thread-safe.

    Each thread gets its own `requests.Session` (sessions are not meant to be shared
    across threads); `close()` closes them all.
    """

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:  # never show the token
        return f"ChatClient({self.base_url!r})"

    # -- plumbing ------------------------------------------------------------------
    def new_session(self) -> requests.Session:
        """A fresh authenticated session, closed by `release()` or `close()`."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self._token}"
        session.headers["User-Agent"] = "sse-chat-desktop"
        with self._lock:
            if self._closed:
                session.close()
                raise ApiError(0, "the client is closed")
            self._sessions.append(session)
        return session

    @property
    def open_sessions(self) -> int:
        """Sessions this client holds open (one per thread that called it, plus the
        stream workers' while they run)."""
        with self._lock:
            return len(self._sessions)

    def release(self, session: requests.Session) -> None:
        """Close a session from `new_session()` that is done with (a stream worker's):
        the client keeps no reference to it any more."""
        with self._lock:
            if session in self._sessions:
                self._sessions.remove(session)
        session.close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self.new_session()
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _request(self, method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        headers = {"Content-Type": "application/json"} if json is not None else None
        try:
            response = self._session().request(
                method,
                self.url(path),
                data=None if json is None else json_body(json),
                headers=headers,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except requests.Timeout:
            raise ApiError(0, "the backend did not answer in time") from None
        except requests.RequestException as exc:
            log.info("%s %s failed: %s", method, path, type(exc).__name__)
            raise ApiError(0, "connection failed") from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail_of(response))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(response.status_code, "the backend sent an unreadable answer") from None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    # -- routes --------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        data = self._request("GET", "/api/health")
        return data if isinstance(data, dict) else {}

    def list_conversations(self) -> list[Conversation]:
        return [Conversation.from_json(c) for c in self._request("GET", "/api/conversations")]

    def create_conversation(self, title: str | None = None) -> Conversation:
        body = {} if title is None else {"title": title}
        return Conversation.from_json(self._request("POST", "/api/conversations", body))

    def get_conversation(self, cid: str) -> ConversationDetail:
        return _detail(self._request("GET", f"/api/conversations/{cid}"))

    def rename_conversation(self, cid: str, title: str) -> Conversation:
        data = self._request("PATCH", f"/api/conversations/{cid}", {"title": title})
        return Conversation.from_json(data)

    def update_conversation(self, cid: str, fields: dict[str, Any]) -> Conversation:
        """PATCH any of `title`, `model`, `system_prompt` (None = back to the default)."""
        data = self._request("PATCH", f"/api/conversations/{cid}", fields)
        return Conversation.from_json(data)

    def delete_conversation(self, cid: str) -> None:
        self._request("DELETE", f"/api/conversations/{cid}")

    def send_message(self, cid: str, content: str) -> Turn:
        data = self._request("POST", f"/api/conversations/{cid}/messages", {"content": content})
        return Turn.from_json(data)

    def edit_message(self, mid: str, content: str) -> Turn:
        return Turn.from_json(self._request("PATCH", f"/api/messages/{mid}", {"content": content}))

    def regenerate(self, mid: str) -> Turn:
        return Turn.from_json(self._request("POST", f"/api/messages/{mid}/regenerate"))

    def set_head(self, cid: str, mid: str) -> ConversationDetail:
        """Make the current path the one through `mid` (PROTOCOL.md section 7)."""
        data = self._request("PUT", f"/api/conversations/{cid}/head", {"message_id": mid})
        return _detail(data)

    def get_tree(self, cid: str) -> ConversationDetail:
        """Every message of every branch, in creation order."""
        return _detail(self._request("GET", f"/api/conversations/{cid}/tree"))

    def delete_message(self, mid: str) -> None:
        """Delete `mid` and everything below it in the tree."""
        self._request("DELETE", f"/api/messages/{mid}")

    def cancel(self, mid: str) -> None:
        self._request("POST", f"/api/messages/{mid}/cancel")

    # The provider settings (docs/API-EXTENSIONS.md). Bodies may hold the API key:
    # `_request` never logs a body, and nothing here may either.
    def get_settings(self) -> dict[str, Any]:
        data = self._request("GET", "/api/settings")
        return data if isinstance(data, dict) else {}

    def put_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        """Replace the backend's provider settings; answers them as now stored (no key)."""
        data = self._request("PUT", "/api/settings", body)
        return data if isinstance(data, dict) else {}

    def check_provider(self, body: dict[str, Any]) -> ProviderCheck:
        """Try the given (unsaved) settings: connection, key, and the model list."""
        data = self._request("POST", "/api/provider/check", body)
        return ProviderCheck.from_json(data if isinstance(data, dict) else {})

    def provider_models(self) -> list[str]:
        """The current (saved) provider's models."""
        data = self._request("GET", "/api/provider/models")
        models = data.get("models") if isinstance(data, dict) else None
        return [str(m) for m in models or []]

    # -- search, branches, export and import (PROTOCOL.md sections 7, 9, 10) -------------
    def search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        """Hits for `query`, best first (each a dict as PROTOCOL.md section 9 gives)."""
        params = urlencode({"q": query, "limit": limit})
        data = self._request("GET", f"/api/search?{params}")
        return [h for h in data if isinstance(h, dict)] if isinstance(data, list) else []

    def download(self, path: str, write: Callable[[bytes], object]) -> None:
        """GET `path` and hand its body to `write` chunk by chunk (an export)."""
        try:
            with self._session().get(
                self.url(path), stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
            ) as response:
                if response.status_code >= 400:
                    raise ApiError(response.status_code, _detail_of(response))
                for chunk in response.iter_content(CHUNK):
                    write(chunk)
        except requests.RequestException as exc:
            log.info("GET %s failed: %s", path, type(exc).__name__)
            raise ApiError(0, "connection failed") from None

    def upload_import(self, body: Iterable[bytes]) -> dict[str, Any]:
        """POST an export document, sent chunk by chunk from `body`, to `/api/import`."""
        headers = {"Content-Type": "application/json"}
        try:
            response = self._session().post(
                self.url("/api/import"),
                data=body,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, IMPORT_READ_TIMEOUT),
            )
        except requests.RequestException as exc:
            log.info("import failed: %s", type(exc).__name__)
            raise ApiError(0, "connection failed") from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail_of(response))
        data = response.json()
        return data if isinstance(data, dict) else {}

    def open_change_stream(self, last_event_id: str, session: requests.Session) -> EventSource:
        """Connect to `GET /api/events` (docs/API-EXTENSIONS.md), resuming after
        `last_event_id` ("" = a fresh subscription, which starts with `ready`)."""
        return self._open_source("/api/events", last_event_id or None, session)

    def open_events(self, mid: str, last_event_id: int, session: requests.Session) -> EventSource:
        """Connect to a reply's event stream, resuming after code point `last_event_id`.

        Raises `ApiError` when the backend refuses; the caller owns (and closes) the source.
        Iterating it raises `StreamDropped` when the connection ends early, instead of
        requests-sse's own sleep-and-reconnect, so the caller decides how to resume.
        """
        latest = str(last_event_id) if last_event_id else None
        return self._open_source(f"/api/messages/{mid}/events", latest, session)

    def _open_source(self, path: str, latest: str | None, session: requests.Session) -> EventSource:
        holder: list[EventSource] = []

        def on_error() -> None:
            # requests-sse marks a dropped stream CONNECTING before it would sleep and retry.
            if holder and holder[0].ready_state == ReadyState.CONNECTING:
                raise StreamDropped

        source = EventSource(
            self.url(path),
            session=session,
            timeout=(CONNECT_TIMEOUT, STREAM_READ_TIMEOUT),  # type: ignore[arg-type]
            max_connect_retry=0,
            on_error=on_error,
            latest_event_id=latest,
        )
        holder.append(source)
        try:
            source.connect(0)
        except requests.RequestException as exc:
            source.close()
            response = exc.response
            if response is not None and response.status_code >= 400:
                raise ApiError(response.status_code, _detail_of(response)) from None
            raise ApiError(0, "connection failed") from None
        _read_in_large_pieces(source)
        return source


#: An event stream is read this many bytes at a time at most (a chunked response yields
#: each chunk as it comes, however small: this only bounds a piece).
STREAM_PIECE = 1 << 16


def _read_in_large_pieces(source: EventSource) -> None:
    """requests-sse reads lines with requests' `iter_lines()`, 512 bytes at a time, and
    that joins a line's pieces one by one: a 200 KB event (a long message in the change
    feed) cost the reading thread some 100 ms of CPU, taken from the GUI thread's share
    of the interpreter. Larger pieces make that a few joins."""
    response = getattr(source, "_response", None)
    if response is not None and getattr(source, "_data_generator", None) is not None:
        source._data_generator = response.iter_lines(chunk_size=STREAM_PIECE)


def _detail(data: dict[str, Any]) -> ConversationDetail:
    messages = [Message.from_json(m) for m in data.get("messages", [])]
    return ConversationDetail(Conversation.from_json(data), messages)
