"""Export benchmark (issue 13): `GET /api/export` of a 100,000-message history.

Builds (or reuses, `--db`, the search benchmark's by default) the history of
`history_data.py`, serves it from a child process and reads the export to its end,
discarding it. Prints the time and the server's peak RSS growth during the export (target
<= 50 MB: the export is streamed from the database in pages). Asserts nothing.

    python bench/export_bench.py [--db /tmp/sse-chat-search-bench]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_data import build_history  # noqa: E402
from server_process import ServerProcess  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/sse-chat-search-bench"))
    ap.add_argument("--conversations", type=int, default=10_000)
    ap.add_argument("--per", type=int, default=10)
    args = ap.parse_args()
    db = args.db / "chat.sqlite3"
    if not db.exists():
        args.db.mkdir(parents=True, exist_ok=True)
        build_history(db, args.conversations, args.per)
    server = ServerProcess(args.db)
    try:
        baseline = server.rss()
        server.reset_peak()
        t0 = time.perf_counter()
        size = 0
        with requests.get(server.base_url + "/api/export", headers=server.headers,
                          stream=True, timeout=600) as resp:  # fmt: skip
            resp.raise_for_status()
            for chunk in resp.iter_content(1 << 16):
                size += len(chunk)
        elapsed = time.perf_counter() - t0
        peak = server.peak()
        print(f"exported {size / 1e6:.0f} MB in {elapsed:.1f} s ({size / 1e6 / elapsed:.0f} MB/s)")
        print(f"server RSS {baseline / 1e6:.0f} MB before, peak {peak / 1e6:.0f} MB:"
              f" growth {(peak - baseline) / 1e6:.0f} MB (target <= 50)")  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
