"""The load bench's clients (bench/load.py): N conversations sending a message and reading
their reply's event stream to the end, and one raw-socket subscriber reading a few bytes at a
time. Plain `requests` and sockets, no app code: they stand for other programs."""

from __future__ import annotations

import json
import multiprocessing
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

PIECES = ("Hello 👋 ", "日本語 ", "ünïcødé ", "data: x\n\n", "𝄞 ", "שלום ", "plain words ")


def make_text(chars: int, seed: int = 0) -> str:
    out: list[str] = []
    size = 0
    i = seed
    while size < chars:
        piece = PIECES[i % len(PIECES)]
        out.append(piece)
        size += len(piece)
        i += 1
    return "".join(out)[: chars - 1].rstrip() + "."


# --------------------------------------------------------------------------- clients


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start_turn(base_url: str, token: str, text: str) -> str:
    """A new conversation with `text` sent; returns the reply id."""
    session = requests.Session()
    try:
        conv = session.post(f"{base_url}/api/conversations", json={}, headers=_auth(token),
                            timeout=30)  # fmt: skip
        conv.raise_for_status()
        turn = session.post(
            f"{base_url}/api/conversations/{conv.json()['id']}/messages",
            json={"content": text},
            headers=_auth(token),
            timeout=30,
        )
        if turn.status_code != 202:
            raise RuntimeError(f"send: {turn.status_code} {turn.text[:200]}")
        return str(turn.json()["reply"]["id"])
    finally:
        session.close()


def parse_events(raw: str) -> tuple[str, str | None, str | None]:
    """(text of the deltas, the end event's content, its status) of a whole stream."""
    text = ""
    end_content: str | None = None
    status: str | None = None
    for block in raw.split("\n\n"):
        kind, data = "", ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        if kind == "delta":
            text += json.loads(data)["text"]
        elif kind in ("end", "error"):
            message = json.loads(data)["message"]
            end_content, status = message["content"], message["status"]
    return text, end_content, status


def one_conversation(base_url: str, token: str, text: str) -> str | None:
    """Send, follow the reply to its end; None if it came back exactly, else what went wrong."""
    try:
        mid = start_turn(base_url, token, text)
        with requests.get(f"{base_url}/api/messages/{mid}/events", headers=_auth(token),
                          stream=True, timeout=(10, 60)) as resp:  # fmt: skip
            raw = resp.content.decode("utf-8")
        got, end, status = parse_events(raw)
    except (requests.RequestException, RuntimeError, ValueError, KeyError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if got != text or end != text or status != "complete":
        return f"mismatch: {len(got)} chars streamed, end {status}, expected {len(text)}"
    return None


def run_clients(
    base_url: str, token: str, conversations: int, chars: int
) -> tuple[int, list[str], float]:
    """(conversations that came back exactly, failures, seconds) for N concurrent clients."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, conversations)) as pool:
        futures = [
            pool.submit(one_conversation, base_url, token, make_text(chars, seed=i))
            for i in range(conversations)
        ]
        outcomes = [f.result() for f in futures]
    failures = [o for o in outcomes if o is not None]
    return conversations - len(failures), failures, time.monotonic() - started


def _clients_in_child(
    base_url: str, token: str, conversations: int, chars: int,
    out: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:  # fmt: skip
    out.put(run_clients(base_url, token, conversations, chars))


# --------------------------------------------------------------------------- slow reader


def dechunk(body: bytes) -> bytes:
    """The payload of a chunked HTTP/1.1 body."""
    out = bytearray()
    rest = body
    while rest:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


@dataclass
class SlowReader:
    """A raw socket with a tiny receive buffer reading `step` bytes every `pause` seconds."""

    port: int
    token: str
    mid: str
    step: int = 16
    pause: float = 0.05
    received: bytearray = field(default_factory=bytearray)
    slow_bytes: int = 0
    error: str | None = None
    _hurry: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="slow-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
                s.settimeout(60)
                s.connect(("127.0.0.1", self.port))
                s.sendall(
                    (f"GET /api/messages/{self.mid}/events HTTP/1.1\r\n"
                     f"Host: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {self.token}\r\n"
                     "Connection: close\r\n\r\n").encode()
                )  # fmt: skip
                while not self._hurry.is_set():
                    chunk = s.recv(self.step)
                    if not chunk:
                        return
                    self.received += chunk
                    self.slow_bytes += len(chunk)
                    self._hurry.wait(self.pause)
                while chunk := s.recv(65536):
                    self.received += chunk
        except OSError as exc:
            self.error = repr(exc)

    def finish(self, timeout: float = 60) -> tuple[str, str | None, str | None]:
        """Read the rest at full speed; returns what `parse_events` makes of the stream."""
        self._hurry.set()
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("the slow reader did not finish")
        head, _, body = bytes(self.received).partition(b"\r\n\r\n")
        if b"chunked" in head.lower():
            body = dechunk(body)
        return parse_events(body.decode("utf-8"))
