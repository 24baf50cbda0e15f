"""Rough SSE throughput of the backend: one stream, then four at once.

Starts an EmbeddedServer (echo responder, no delay) on loopback, sends a
~20,000-character message and consumes its reply's event stream with a bare
requests-sse loop. Run from the repository root:

    .venv/bin/python bench/sse_throughput.py [--chars N] [--streams K]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from requests_sse import EventSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402


def make_text(n: int) -> str:
    words = ("stream", "delta", "event", "ünïcode", "😀", "chat", "reply", "token")
    out: list[str] = []
    size = 0
    i = 0
    while size < n:
        w = words[i % len(words)] + " "
        out.append(w)
        size += len(w)
        i += 1
    return "".join(out)[:n]


def start_turn(base: str, headers: dict[str, str], text: str) -> str:
    cid = requests.post(f"{base}/api/conversations", json={}, headers=headers, timeout=30).json()[
        "id"
    ]
    r = requests.post(
        f"{base}/api/conversations/{cid}/messages",
        json={"content": text},
        headers=headers,
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["events_url"])


def consume(url: str, headers: dict[str, str]) -> tuple[int, int, float]:
    """Read one stream to `end`: (characters, events, seconds)."""
    chars = events = 0
    t0 = time.perf_counter()
    with EventSource(url, headers=headers, timeout=60, max_connect_retry=0) as es:
        for ev in es:
            events += 1
            if ev.type == "delta":
                chars += len(json.loads(ev.data or "")["text"])
            elif ev.type in ("end", "error"):
                break
    return chars, events, time.perf_counter() - t0


def run(
    base: str,
    headers: dict[str, str],
    text: str,
    streams: int,
    label: str,
    urls: list[str] | None = None,
) -> list[str]:
    """`streams` concurrent consumers; with no `urls`, each first POSTs its own turn
    and subscribes at once (live); with `urls`, they re-read finished replies (replay)."""
    results: list[tuple[int, int, float]] = [(0, 0, 0.0)] * streams
    used: list[str] = [""] * streams

    def worker(i: int) -> None:
        used[i] = urls[i] if urls else base + start_turn(base, headers, text)
        results[i] = consume(used[i], headers)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = time.perf_counter() - t0
    chars = sum(r[0] for r in results)
    events = sum(r[1] for r in results)
    ok = all(r[0] == len(text) for r in results)
    print(
        f"{label}: {streams} stream(s) x {len(text):,} chars: total {total:.3f} s, "
        f"{chars / total:,.0f} chars/s, {events / total:,.0f} events/s"
        f"{'' if ok else '  (INCOMPLETE: some streams lost text)'}"
    )
    for i, (c, e, s) in enumerate(results):
        print(
            f"    stream {i}: {c:,} chars in {e:,} events, {s:.3f} s "
            f"({c / s:,.0f} chars/s, {e / s:,.0f} events/s)"
        )
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--streams", type=int, default=4)
    args = parser.parse_args()
    text = make_text(args.chars)
    with tempfile.TemporaryDirectory() as tmp:
        # room for a message longer than the default limits (100,000 chars, 1 MiB body)
        settings = Settings(
            data_dir=Path(tmp),
            echo_delay=0.0,
            max_content_chars=max(100_000, len(text)),
            max_body_bytes=16 << 20,
        )
        srv = EmbeddedServer(settings)
        srv.start(timeout=10.0)
        try:
            headers = {"Authorization": f"Bearer {srv.token}"}
            run(srv.base_url, headers, text, 1, "live  ")
            urls = run(srv.base_url, headers, text, args.streams, "live  ")
            run(srv.base_url, headers, text, 1, "replay", urls[:1])
            run(srv.base_url, headers, text, args.streams, "replay", urls)
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
