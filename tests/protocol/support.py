"""Client-side helpers for the protocol suite: shape checks, plain HTTP, processes.

Everything here talks to a real backend over loopback. Nothing imports backend
internals except the two documented entry points (`Settings`, `EmbeddedServer`). The SSE
readers (`RawStream`, `read_stream`, `sse_follow`) are in `sse_support.py`.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import requests

from tests.support.http_client import TokenApi
from tests.support.waiting import wait_until

from .sse_support import StreamResult, read_stream

REPO = Path(__file__).resolve().parents[2]

CONVERSATION_KEYS = {"id", "title", "created_at", "updated_at"}
MESSAGE_KEYS = {"id", "conversation_id", "role", "content", "status", "created_at"}
MESSAGE_STATUSES = {"complete", "streaming", "cancelled", "failed", "interrupted"}


# --------------------------------------------------------------------------- waiting


def wait_clock_past(iso: str) -> None:
    """Wait (bounded) until the wall clock is strictly after an ISO timestamp from the server.

    Used so that "most recently updated" orderings never depend on equal timestamps.
    """
    ts = parse_time(iso)
    wait_until(lambda: datetime.now(UTC) > ts, timeout=2.0, interval=0.001, what="clock")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- shapes


def parse_time(value: Any) -> datetime:
    assert isinstance(value, str), f"time is not a string: {value!r}"
    dt = datetime.fromisoformat(value)
    assert dt.tzinfo is not None, f"time {value!r} carries no UTC offset"
    offset = dt.utcoffset()
    assert offset is not None and offset.total_seconds() == 0, f"time {value!r} is not UTC"
    return dt


def check_conversation(obj: Any) -> dict[str, Any]:
    assert isinstance(obj, dict), obj
    missing = CONVERSATION_KEYS - obj.keys()
    assert not missing, f"Conversation lacks {missing}: {obj}"
    assert isinstance(obj["id"], str) and obj["id"], obj
    assert isinstance(obj["title"], str), obj
    parse_time(obj["created_at"])
    parse_time(obj["updated_at"])
    return obj


def check_message(obj: Any, *, role: str | None = None, status: str | None = None) -> dict:
    assert isinstance(obj, dict), obj
    missing = MESSAGE_KEYS - obj.keys()
    assert not missing, f"Message lacks {missing}: {obj}"
    assert isinstance(obj["id"], str) and obj["id"], obj
    assert isinstance(obj["conversation_id"], str) and obj["conversation_id"], obj
    assert obj["role"] in ("user", "assistant"), obj
    assert isinstance(obj["content"], str), obj
    assert obj["status"] in MESSAGE_STATUSES, obj
    parse_time(obj["created_at"])
    if role is not None:
        assert obj["role"] == role, obj
    if status is not None:
        assert obj["status"] == status, obj
    return obj


def check_turn(obj: Any, *, cid: str, content: str | None = None) -> dict[str, Any]:
    assert isinstance(obj, dict), obj
    assert {"message", "reply", "events_url"} <= obj.keys(), obj
    user = check_message(obj["message"], role="user")
    reply = check_message(obj["reply"], role="assistant", status="streaming")
    assert user["conversation_id"] == cid, obj
    assert reply["conversation_id"] == cid, obj
    assert user["id"] != reply["id"], obj
    if content is not None:
        assert user["content"] == content, (user["content"], content)
    assert obj["events_url"] == f"/api/messages/{reply['id']}/events", obj
    return obj


def check_error(resp: requests.Response, status: int) -> str:
    """The status is `status` and the body is FastAPI's `{"detail": str}` (no traceback)."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.path_url}: expected {status}, "
        f"got {resp.status_code} {resp.text[:300]!r}"
    )
    ctype = resp.headers.get("content-type", "")
    assert ctype.startswith("application/json"), f"error is not JSON ({ctype}): {resp.text[:300]}"
    body = resp.json()
    assert isinstance(body, dict) and "detail" in body, body
    assert isinstance(body["detail"], str), f"detail is not a string: {body!r}"
    assert body["detail"].strip(), body
    assert "Traceback" not in resp.text, resp.text
    return str(body["detail"])


def check_4xx_error(resp: requests.Response) -> None:
    """A refused request whose exact status the protocol leaves open."""
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    check_error(resp, resp.status_code)


# --------------------------------------------------------------------------- HTTP API


@dataclass
class Api(TokenApi):
    """Thread-safe thin client (one connection per call) for a running backend."""

    session: requests.Session | None = None
    request_timeout: ClassVar[float] = 15

    # -- conveniences (each asserts the documented success status)

    def create_conversation(self, title: str | None = None) -> dict[str, Any]:
        body = {} if title is None else {"title": title}
        r = self.post("/api/conversations", json=body)
        assert r.status_code == 201, (r.status_code, r.text)
        return check_conversation(r.json())

    def conversation(self, cid: str) -> dict[str, Any]:
        r = self.get(f"/api/conversations/{cid}")
        assert r.status_code == 200, (r.status_code, r.text)
        return check_conversation(r.json())

    def messages(self, cid: str) -> list[dict[str, Any]]:
        msgs = self.conversation(cid)["messages"]
        assert isinstance(msgs, list)
        return [check_message(m) for m in msgs]

    def message(self, cid: str, mid: str) -> dict[str, Any]:
        for m in self.messages(cid):
            if m["id"] == mid:
                return m
        raise AssertionError(f"message {mid} not in conversation {cid}")

    def send(self, cid: str, content: str) -> dict[str, Any]:
        r = self.post(f"/api/conversations/{cid}/messages", json={"content": content})
        assert r.status_code == 202, (r.status_code, r.text)
        return check_turn(r.json(), cid=cid, content=content)

    def new_turn(self, content: str, title: str | None = None) -> tuple[str, dict[str, Any]]:
        cid = self.create_conversation(title)["id"]
        return cid, self.send(cid, content)

    def cancel(self, mid: str) -> requests.Response:
        return self.post(f"/api/messages/{mid}/cancel")

    def events_url(self, mid: str) -> str:
        return self.url(f"/api/messages/{mid}/events")

    def follow(self, mid: str, **kw: Any) -> StreamResult:
        """Read a reply's stream to its `end`/`error` (event-driven wait for completion)."""
        return read_stream(self.events_url(mid), headers=self.auth_headers(), **kw)

    def finished_turn(self, content: str) -> dict[str, str]:
        """A new conversation with one turn whose reply has ended: its `cid`, `user`, `reply`
        ids (real ids, for tests of otherwise valid requests)."""
        cid, turn = self.new_turn(content)
        self.follow(turn["reply"]["id"])
        return {"cid": cid, "user": turn["message"]["id"], "reply": turn["reply"]["id"]}

    def wait_done(self, cid: str, mid: str, timeout: float = 20.0) -> dict[str, Any]:
        """Poll GET conversation until the message left `streaming` (bounded)."""

        def done() -> dict[str, Any] | None:
            m = self.message(cid, mid)
            return m if m["status"] != "streaming" else None

        return wait_until(done, timeout=timeout, interval=0.05, what=f"message {mid} to finish")


def check_stream_framing(result: StreamResult, expected_text: str | None = None) -> dict:
    """Check a whole reply stream against section 4; return the final Message."""
    assert result.status == 200, (result.status, result.raw[:300])
    assert b"\r" not in result.raw, "stream uses \\r in line ends"
    assert result.raw.startswith(b"retry: 1000\n"), result.raw[:60]
    assert result.events, "no events"
    length = 0
    for ev in result.events[:-1]:
        assert ev.type == "delta", f"unexpected event before end: {ev}"
        payload = ev.json
        assert isinstance(payload, dict) and isinstance(payload.get("text"), str), ev
        length += len(payload["text"])
        assert ev.id is not None and ev.id == str(length), (
            f"delta id {ev.id!r} != code-point length {length}"
        )
    last = result.last
    assert last.type == "end", f"last event is {last.type}: {last}"
    payload = last.json
    msg = check_message(payload["message"], role="assistant")
    assert last.id == str(length), f"end id {last.id!r} != final length {length}"
    assert msg["content"] == result.text or length == 0, "end content differs from deltas"
    if expected_text is not None:
        assert result.text == expected_text, (result.text[:80], expected_text[:80])
    return msg


# --------------------------------------------------------------------------- raw HTTP


def raw_http(port: int, request: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send literal request bytes to 127.0.0.1:port; return (status, headers, body-so-far)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("iso-8859-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(body) < n:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
        return status, headers, body


def raw_get(port: int, path: str, host: str, extra: dict[str, str] | None = None) -> tuple:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return raw_http(port, ("\r\n".join(lines) + "\r\n\r\n").encode())


# --------------------------------------------------------------------------- processes


class BackendProcess:
    """`python -m backend ...` as a child process, output collected on a thread."""

    def __init__(self, *args: str) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"  # behave as on a terminal: banner lines appear at once
        self.args = args
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend", *args],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._out: list[str] = []
        self._lock = threading.Lock()
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            with self._lock:
                self._out.append(line)
            self._lines.put(line)
        self._lines.put(None)

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._out)

    def wait_output(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        rx = re.compile(pattern)

        def matched() -> re.Match[str] | None:
            found = rx.search(self.output)
            if found is None:
                self._dead_check()
            return found

        return wait_until(
            matched,
            timeout=timeout,
            what=f"output matching {pattern!r}; got {self.output!r}",
        )

    def _dead_check(self) -> None:
        if self.proc.poll() is not None:
            self._reader.join(timeout=2)
            raise AssertionError(f"backend exited {self.proc.returncode}: {self.output!r}")

    def wait_healthy(self, port: int, timeout: float = 15.0) -> None:
        def ok() -> bool:
            self._dead_check()
            try:
                return requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).ok
            except requests.ConnectionError:
                return False

        wait_until(ok, timeout=timeout, interval=0.05, what="backend health")

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = 15.0) -> int:
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return rc

    def stop(self) -> None:
        """Best-effort cleanup: SIGTERM, then SIGKILL; never leaves the child running."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reader.join(timeout=2)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextmanager
def backend_process(*args: str) -> Iterator[BackendProcess]:
    bp = BackendProcess(*args)
    try:
        yield bp
    finally:
        bp.stop()
