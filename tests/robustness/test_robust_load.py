"""Part 5: load through `python -m backend` (a child process): 40 conversations streaming at
full speed plus a very slow raw-socket subscriber; all come back exactly and the server's
memory stays bounded. (bench/load.py runs 100, with a desktop window's heartbeat.)
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import requests

from bench.load import backend_process, run_load

CONVERSATIONS = 40
#: The server holds every live reply's text (shared by its subscribers) and nothing per
#: subscriber beyond the socket's buffers: 40 x 5,000 chars plus a 100,000-char reply is a
#: few MiB of text. The bound leaves room for the allocator, never for unbounded buffering.
MAX_RSS_GROWTH_MIB = 120


def test_load_with_a_slow_subscriber(tmp_path: Path, figures: dict[str, Any]) -> None:
    result = run_load(CONVERSATIONS, 5000, tmp_path / "data", slow_chars=100_000)
    assert result.failures == [], result.failures
    assert result.completed == CONVERSATIONS
    assert result.slow_ok, result.lines()
    growth = (result.rss_peak_kib - result.rss_before_kib) / 1024
    assert growth < MAX_RSS_GROWTH_MIB, result.lines()
    assert result.seconds < 30, result.lines()
    figures["load held (test)"] = "; ".join(result.lines())


def test_http_answers_are_not_held_back_by_nagle(tmp_path: Path, figures: dict[str, Any]) -> None:
    """Regression: the listening socket was made with proto 0, so asyncio never set
    TCP_NODELAY and every answer (head, then body) waited ~40 ms for a delayed ACK."""
    with backend_process(tmp_path / "data") as backend:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {backend.token}"}
        times: list[float] = []
        for _ in range(30):
            started = time.perf_counter()
            r = session.get(f"{backend.base_url}/api/conversations", headers=headers, timeout=10)
            times.append(time.perf_counter() - started)
            assert r.status_code == 200
        session.close()
    median_ms = statistics.median(times) * 1000
    figures["request latency (python -m backend)"] = f"median {median_ms:.1f} ms over 30"
    assert median_ms < 20, f"median {median_ms:.1f} ms: answers wait for delayed ACKs"
