"""Helpers for the robustness suite: a byte-exact cutting proxy, long text, processes.

The chat-history invariant checks are in `tests.support.store_checks`.
Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.tcp_proxy import LoopbackProxy, shut
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]

#: Figures the tests report (cuts survived, kills survived, fuzz cases, ...), printed at the end.
FIGURES: dict[str, Any] = {}

#: A long reply with emoji (4-byte UTF-8, some with ZWJ and variation selectors), CJK
#: (3 bytes), accents and combining marks (2 bytes), RTL text, and SSE-looking text.
LONG_PIECES = (
    "Hello 👋🏽, wörld! ",
    "日本語のテキストと中文字符。",
    "👨‍👩‍👧‍👦 family, 🇫🇷 flag, ❤️ heart. ",
    "e\u0301 combining, Ωμέγα, ",
    "שלום עולם مرحبا ",
    "data: not an event\nevent: end\n\n",
    "𝄞 music 𐍈 gothic; ",
    "한국어 텍스트 ",
)


def long_text(chars: int, seed: int = 7) -> str:
    """About `chars` code points of mixed-width text (deterministic)."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < chars:
        piece = rng.choice(LONG_PIECES)
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:chars].rstrip() + "。"


#: `make_server(echo_delay=..., data_dir=...)` (the conftest fixture): a started server.
ServerFactory = Callable[..., Any]


#: Poll a predicate until truthy (bounded): `tests.support.waiting.wait_until`.
wait_for = wait_until


# --------------------------------------------------------------------------- cutting proxy


@dataclass(frozen=True)
class Cut:
    """Cut an event-stream response after at least `after` body bytes.

    `mode`: "utf8" cuts right after a UTF-8 lead byte (inside a multi-byte character),
    "byte" cuts at exactly `after` bytes (anywhere, usually inside an event).
    """

    after: int
    mode: str = "byte"
    #: Cut only once this many events (after `retry:`) got through whole.
    min_events: int = 0


@dataclass
class CutRecord:
    body_bytes: int
    mid_char: bool
    mid_event: bool


class CuttingProxy(LoopbackProxy):
    """A loopback TCP proxy that cuts event-stream connections at planned byte offsets.

    Each new connection whose first request is `GET .../events` takes the next `Cut` from
    the plan (none left: it is passed through untouched). Other requests pass through.
    The `Host` header is rewritten to the upstream's so the backend's rebinding guard
    accepts the requests.
    """

    accept_thread_name = "cut-proxy"

    def __init__(self, upstream_port: int, plan: list[Cut], close_delimited: bool = False) -> None:
        """`close_delimited`: forward event streams as an HTTP/1.0-style proxy would, without
        chunked framing (the body ends when the connection does)."""
        self.close_delimited = close_delimited
        self.plan = list(plan)
        self.cuts: list[CutRecord] = []
        self.event_connections = 0
        self._threads: list[threading.Thread] = []
        super().__init__(upstream_port)

    def _handle(self, client: socket.socket, upstream: socket.socket) -> None:
        thread = threading.Thread(
            target=self._serve, args=(client, upstream), name="cut-proxy-conn", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _serve(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            first = client.recv(65536)
        except OSError:
            first = b""
        if not first:
            shut(client, upstream)
            return
        cut: Cut | None = None
        if first.startswith(b"GET ") and b"/events" in first.split(b"\r\n", 1)[0]:
            with self._lock:
                self.event_connections += 1
                cut = self.plan.pop(0) if self.plan else None
        try:
            upstream.sendall(self.rewrite_host(first))
        except OSError:
            shut(client, upstream)
            return
        outbound = threading.Thread(target=self._pipe_out, args=(client, upstream), daemon=True)
        outbound.start()
        self._pipe_back(upstream, client, cut)
        outbound.join(5)

    def _pipe_out(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            self.relay(client, upstream, rewrite=True)
        finally:
            shut(client, upstream)

    def _pipe_back(self, upstream: socket.socket, client: socket.socket, cut: Cut | None) -> None:
        head = b""
        in_body = False
        chunks: _Dechunker | None = None
        body = bytearray()  # the response body forwarded so far (chunked framing included)
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if cut is None:
                    client.sendall(data)
                    continue
                if not in_body:
                    head += data
                    end = head.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    head, data = head[: end + 4], head[end + 4 :]
                    if self.close_delimited and b"chunked" in head.lower():
                        head = _unchunked_head(head)
                        chunks = _Dechunker()
                    client.sendall(head)
                    in_body = True
                if chunks is not None:
                    data = chunks.feed(data)
                    if chunks.done:  # the response ended: so does the connection
                        client.sendall(data)
                        break
                at = self._cut_point(bytes(body), data, cut)
                if at is None:
                    client.sendall(data)
                    body += data
                    continue
                client.sendall(data[:at])
                body += data[:at]
                self._record(bytes(body), data[at:])
                break
        except OSError:
            pass
        finally:
            shut(client, upstream)

    @staticmethod
    def _cut_point(sent: bytes, data: bytes, cut: Cut) -> int | None:
        """Where in `data` to cut (an index), or None to forward it all."""
        start = max(0, cut.after - len(sent))
        if cut.min_events:
            combined = sent + data
            end = -2
            for _ in range(cut.min_events + 1):  # + the `retry:` line
                end = combined.find(b"\n\n", end + 2)
                if end < 0:
                    return None
            start = max(start, end + 2 - len(sent))
        if start >= len(data):
            return None
        if cut.mode == "byte":
            return start if start > 0 or sent else None
        for i in range(max(start, 1), len(data)):
            if 0x80 <= data[i] <= 0xBF and data[i - 1] >= 0xC0:  # just after a lead byte
                return i
        return None

    def _record(self, sent: bytes, rest: bytes) -> None:
        mid_char = bool(rest) and 0x80 <= rest[0] <= 0xBF
        # an event ends "\n\n" (+ the chunk's CRLF when chunked)
        mid_event = not sent.endswith((b"\n\n\r\n", b"\n\n"))
        with self._lock:
            self.cuts.append(CutRecord(len(sent), mid_char, mid_event))

    def close(self) -> None:
        super().close()
        for thread in self._threads:
            thread.join(5)


def _unchunked_head(head: bytes) -> bytes:
    lines = [
        line for line in head.split(b"\r\n") if not line.lower().startswith(b"transfer-encoding")
    ]
    return b"\r\n".join(lines[:1] + [b"Connection: close"] + lines[1:])


class _Dechunker:
    """Turns a chunked body back into its payload, as bytes arrive."""

    def __init__(self) -> None:
        self._buffer = b""
        self._left = 0  # payload bytes left in the current chunk
        self.done = False  # the last (empty) chunk came

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        while self._buffer:
            if self._left > 0:
                take = self._buffer[: self._left]
                out += take
                self._left -= len(take)
                self._buffer = self._buffer[len(take) :]
                if self._left == 0:
                    self._left = -2  # the CRLF after the payload
                continue
            if self._left < 0:
                skip = min(-self._left, len(self._buffer))
                self._buffer = self._buffer[skip:]
                self._left += skip
                continue
            line, sep, rest = self._buffer.partition(b"\r\n")
            if not sep:
                break
            self._buffer = rest
            self._left = int(line.split(b";")[0] or b"0", 16)
            if self._left == 0 and line.strip():
                self.done = True
                break
        return bytes(out)


def cut_plan(count: int, seed: int = 1) -> list[Cut]:
    """`count` cuts alternating inside a character and at a random byte.

    Every third cut may land anywhere (even inside the first event, so that connection
    brings no progress); the others let at least one event through first, so a reader's
    retry budget for connections without progress is never the limit being tested.
    """
    rng = random.Random(seed)
    return [
        Cut(rng.randint(60, 700), "utf8" if i % 2 == 0 else "byte", 0 if i % 3 == 0 else 1)
        for i in range(count)
    ]


# --------------------------------------------------------------------------- processes


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def spawn(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        [sys.executable, *args],
        cwd=REPO,
        env=python_env(),
        stdin=subprocess.DEVNULL,
        **kw,  # type: ignore[arg-type]
    )


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL: never leaves the child running."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def non_loopback_address() -> str | None:
    """This machine's own outward address: a UDP `connect` picks it without sending."""
    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((target, 9))
                address = str(s.getsockname()[0])
        except OSError:
            continue
        if not address.startswith("127.") and address not in ("::1", "0.0.0.0", "::"):
            return address
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for word in out.stdout.split():
        if not word.startswith("127.") and word != "::1":
            return word
    return None


@dataclass
class Samples:
    """(monotonic time, code points received) of a followed stream."""

    points: list[tuple[float, int]] = field(default_factory=list)

    def add(self, length: int) -> None:
        self.points.append((time.monotonic(), length))

    def at(self, when: float) -> int:
        """The length received at or before `when` (0 if nothing yet)."""
        best = 0
        for t, n in self.points:
            if t <= when:
                best = max(best, n)
        return best
