"""The SSE readers of the protocol suite: a byte-exact raw reader and `requests_sse`.

`RawStream` splits lines on `\\n` only and records every byte, line, event and comment, so a
test can check the framing of PROTOCOL.md section 4 itself; `read_stream` reads a reply to its
`end`/`error`; `sse_follow` follows one the way a third-party client does. The shape checks,
`Api` and the process helpers are in `support.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from requests_sse import EventSource, MessageEvent


@dataclass
class Event:
    type: str
    id: str | None
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class StreamResult:
    status: int
    headers: requests.structures.CaseInsensitiveDict[str]
    raw: bytes = b""
    lines: list[bytes] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    eof: bool = False

    @property
    def deltas(self) -> list[Event]:
        return [e for e in self.events if e.type == "delta"]

    @property
    def text(self) -> str:
        return "".join(e.json["text"] for e in self.deltas)

    @property
    def last(self) -> Event:
        assert self.events, "no events"
        return self.events[-1]


class RawStream:
    """A byte-exact, spec-following SSE reader over a `requests` streaming response.

    Lines are split on `\\n` only, so a stray `\\r` stays visible in the raw bytes.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        read_timeout: float = 10.0,
    ) -> None:
        self.resp = requests.get(
            url, headers=headers or {}, params=params, stream=True, timeout=(5, read_timeout)
        )
        self.result = StreamResult(status=self.resp.status_code, headers=self.resp.headers)
        self._chunks: Iterator[bytes] | None = None
        self._buf = b""
        self._ev_type: str | None = None
        self._ev_id: str | None = None
        self._ev_data: list[str] | None = None

    def close(self) -> None:
        self.resp.close()

    def __enter__(self) -> RawStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fill(self) -> bool:
        if self._chunks is None:
            self._chunks = self.resp.raw.stream(None, decode_content=True)
        for chunk in self._chunks:
            if chunk:
                self.result.raw += chunk
                self._buf += chunk
                return True
        self.result.eof = True
        return False

    def readline(self) -> bytes | None:
        """Next line without its `\\n`, or None at EOF (a trailing partial line is returned)."""
        while b"\n" not in self._buf:
            if not self._fill():
                if self._buf:
                    line, self._buf = self._buf, b""
                    self.result.lines.append(line)
                    return line
                return None
        line, self._buf = self._buf.split(b"\n", 1)
        self.result.lines.append(line)
        return line

    def next_event(self) -> Event | None:
        """Next dispatched event (comments are recorded in result.comments), None at EOF."""
        while True:
            raw = self.readline()
            if raw is None:
                return None
            line = raw.decode("utf-8")
            if line == "":
                if self._ev_data is not None or self._ev_type is not None:
                    ev = Event(
                        type=self._ev_type or "message",
                        id=self._ev_id,
                        data="\n".join(self._ev_data or []),
                    )
                    self._ev_type, self._ev_id, self._ev_data = None, None, None
                    self.result.events.append(ev)
                    return ev
                continue
            if line.startswith(":"):
                self.result.comments.append(line)
                continue
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if name == "event":
                self._ev_type = value
            elif name == "data":
                self._ev_data = [*(self._ev_data or []), value]
            elif name == "id":
                self._ev_id = value

    def read_to_end(self, *, deadline: float = 20.0, require_eof: bool = True) -> StreamResult:
        """Read events until `end`/`error`; then (optionally) require the server to close."""
        stop = time.monotonic() + deadline
        while True:
            assert time.monotonic() < stop, "stream did not end in time"
            ev = self.next_event()
            if ev is None:
                raise AssertionError(
                    f"stream closed without end/error; events={self.result.events[-3:]}"
                )
            if ev.type in ("end", "error"):
                break
        if require_eof:
            while self.readline() is not None:
                assert time.monotonic() < stop, "server did not close the response after end"
        return self.result

    def read_all(self, *, deadline: float = 10.0) -> StreamResult:
        """Read until the server closes the response."""
        stop = time.monotonic() + deadline
        while self.next_event() is not None:
            assert time.monotonic() < stop, "stream did not close in time"
        return self.result


def read_stream(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    deadline: float = 20.0,
    require_eof: bool = True,
) -> StreamResult:
    """Open a stream, read it to `end`/`error` (or return at once on a non-200)."""
    with RawStream(url, headers=headers, params=params) as rs:
        if rs.result.status != 200:
            rs.result.raw = rs.resp.content
            return rs.result
        return rs.read_to_end(deadline=deadline, require_eof=require_eof)


def sse_follow(
    url: str, *, headers: dict[str, str] | None = None, timeout: float = 20.0, **kw: Any
) -> list[MessageEvent]:
    """Follow a stream with `requests_sse.EventSource` until `end`/`error` (no reconnects)."""

    def refuse_reconnect() -> None:
        raise AssertionError("stream failed or closed before end")

    events: list[MessageEvent] = []
    stop = time.monotonic() + timeout
    with EventSource(url, headers=headers or {}, timeout=timeout, max_connect_retry=0, **kw) as es:
        es._on_error = refuse_reconnect  # fail instead of the silent reconnect loop
        for ev in es:
            events.append(ev)
            if ev.type in ("end", "error"):
                break
            assert time.monotonic() < stop, "stream did not end in time"
    return events


def sse_text(events: list[MessageEvent]) -> str:
    return "".join(json.loads(e.data or "")["text"] for e in events if e.type == "delta")
