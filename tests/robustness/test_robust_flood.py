"""Connection floods on loopback (issue 11, item 5), bounded and cleaned up.

Before: with the soft fd limit at 1,024, 1,100 connections sending partial headers made
`/api/health` time out for 40 s (`accept() out of system resource`), and connections that
sent nothing stayed open 30 s and more. Now the server raises its soft `RLIMIT_NOFILE` toward
the hard limit at start-up, closes a connection whose request head has not arrived within
`header_timeout`, and at `max_connections` makes room by closing the connection that has
waited longest without a request (never one being answered).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from backend.config import Settings
from backend.embedded import EmbeddedServer
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]


def _partial_head(port: int) -> bytes:
    return f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode()


@contextlib.contextmanager
def flood(port: int, idle: int, partial: int) -> Iterator[list[socket.socket]]:
    """`idle` connections that send nothing and `partial` that send half a request head."""
    socks: list[socket.socket] = []
    try:
        for n in range(idle + partial):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            socks.append(sock)
            if n >= idle:
                with contextlib.suppress(OSError):
                    wait_until(functools.partial(_writable, sock), timeout=5, what="connect")
                    sock.send(_partial_head(port))
        yield socks
    finally:
        for sock in socks:
            sock.close()


def _writable(sock: socket.socket) -> bool:
    import select

    return bool(select.select([], [sock], [], 0)[1])


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:  # reset: closed too
        return True


def _health_times(base_url: str, count: int = 20) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = requests.get(f"{base_url}/api/health", timeout=5)  # a bound, not a measure
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200
    return times


def _low_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))


def test_health_answers_through_a_flood_on_a_low_fd_limit(
    tmp_path: Path, figures: dict[str, Any]
) -> None:
    """`python -m backend` started with a soft limit of 256 fds (as a desktop's 1,024, scaled
    down), then 400 idle and half-sent connections: health keeps answering."""
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "--port", "0", "--data-dir", str(tmp_path / "d"),
         "--log-level", "warning"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, preexec_fn=_low_fd_limit,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = ""
        while "http://" not in line:
            line = process.stdout.readline()
            assert line, "serve printed no address"
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", line).group(1))  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{base}/api/health", timeout=2).ok, timeout=15)
        with flood(port, idle=200, partial=200):
            times = _health_times(base)
        after = _health_times(base, 5)
    finally:
        process.terminate()
        process.wait(15)
    figures["flood (400 conns, soft fd limit 256)"] = (
        f"health median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.0f} ms "
        f"over {len(times)}; after: median {statistics.median(after) * 1000:.1f} ms"
    )


def test_connections_without_a_request_are_closed_after_the_header_timeout(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "d", header_timeout=0.5)
    with EmbeddedServer(settings) as server, flood(server.port, idle=25, partial=25) as socks:
        keeper = requests.Session()  # a client that makes requests keeps its connection
        assert keeper.get(f"{server.base_url}/api/health", timeout=5).ok
        wait_until(
            lambda: all(_closed_by_server(s) for s in socks),
            timeout=10,
            what="the server to close connections that sent no whole request head",
        )
        assert keeper.get(f"{server.base_url}/api/health", timeout=5).ok


def test_at_the_connection_limit_the_longest_waiting_connection_makes_room(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "d", max_connections=32)
    with EmbeddedServer(settings) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        api = requests.Session()
        cid = api.post(f"{server.base_url}/api/conversations", json={}, headers=headers).json()
        turn = api.post(
            f"{server.base_url}/api/conversations/{cid['id']}/messages",
            json={"content": "x" * 2000},
            headers=headers,
        ).json()
        # A subscriber being answered (the reply streams at the default echo pace) is never
        # closed to make room.
        with (
            requests.get(
                f"{server.base_url}{turn['events_url']}", headers=headers, stream=True, timeout=10
            ) as stream,
            flood(server.port, idle=150, partial=50) as socks,
        ):
            lines = stream.iter_lines()
            assert next(lines) == b"retry: 1000"
            times = _health_times(server.base_url, 10)
            assert max(times) < 5
            wait_until(
                lambda: sum(not _closed_by_server(s) for s in socks) < 32,
                timeout=10,
                what="the flood to be cut to the limit",
            )
            assert any(b"event: delta" in line for line in (next(lines) for _ in range(5)))
            api.post(
                f"{server.base_url}/api/messages/{turn['reply']['id']}/cancel", headers=headers
            )
