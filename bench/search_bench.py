"""Search benchmark (issue 13): p50/p99 latency of 50 different queries over 100,000 messages.

Builds (or reuses, `--db`) a history of `--conversations` x `--per` messages of varied text
(`history_data.py`, about 60 MB), starts the real backend on it and times
`GET /api/search` over HTTP on loopback: 10 one-term, 10 two-term, 10 phrase, 10 CJK and
10 two-character queries, each run `--rounds` times after one warm-up pass. Prints figures;
asserts nothing. Target: p99 <= 30 ms.

    python bench/search_bench.py [--db /tmp/search-bench] [--conversations 10000 --per 10]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_data import CHINESE, Words, build_history, vocabulary  # noqa: E402

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402


def queries(seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    words = Words(random.Random(13), vocabulary(random.Random(13)))
    by_count = Counter(w.strip('.,:;()"').lower() for w in words.prose)
    ranked = [w for w, _ in by_count.most_common() if len(w) >= 4 and w.isalpha()]
    texts = [words.text() for _ in range(200)]
    phrases: list[str] = []
    while len(phrases) < 10:
        parts = rng.choice(texts).split()
        i = rng.randrange(len(parts) - 1)
        if all(p.isalpha() for p in parts[i : i + 2]):
            phrases.append(f'"{parts[i]} {parts[i + 1]}"')
    ranks = [0, 5, 20, 50, 100, 300, 800, 1500]
    return {
        "one term": [*(ranked[r] for r in ranks), words.vocab[0], words.vocab[500]],
        "two terms": [f"{ranked[r]} {ranked[(r * 3 + 7) % len(ranked)]}" for r in (*ranks, 3, 9)],
        "phrase": phrases,
        "CJK": [
            "数据库",
            "分布式",
            "搜索引擎",
            "机器学习",
            "数据结构",
            "并发控制",
            "网络协议",
            "引擎",
            "模型",
            "系统",
        ],  # fmt: skip
        "2-char": ["th", "zq", "xj", "qv", "数据", "协议", "db", "ok", "wz", "kx"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/sse-chat-search-bench"))
    ap.add_argument("--conversations", type=int, default=10_000)
    ap.add_argument("--per", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    db = args.db / "chat.sqlite3"
    if not db.exists():
        args.db.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        chars = build_history(db, args.conversations, args.per)
        print(
            f"built {args.conversations * args.per:,} messages, {chars / 1e6:.1f} M characters,"
            f" in {time.perf_counter() - started:.0f} s; database {db.stat().st_size / 1e6:.0f} MB"
        )
    assert CHINESE  # (the CJK queries come from these texts)
    server = EmbeddedServer(Settings(data_dir=args.db))
    server.start(timeout=30)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    try:
        by_kind = queries()
        timings: dict[str, list[float]] = {kind: [] for kind in by_kind}
        hits: dict[str, list[int]] = {kind: [] for kind in by_kind}
        per_query: dict[str, list[float]] = {}
        for round_no in range(args.rounds + 1):
            for kind, qs in by_kind.items():
                for q in qs:
                    t0 = time.perf_counter()
                    r = session.get(f"{server.base_url}/api/search", params={"q": q})
                    elapsed = time.perf_counter() - t0
                    r.raise_for_status()
                    if round_no:  # round 0 warms the page cache
                        timings[kind].append(elapsed * 1000)
                        per_query.setdefault(q, []).append(elapsed * 1000)
                    else:
                        hits[kind].append(len(r.json()))
        every = sorted(t for ts in timings.values() for t in ts)
        print(f"{len(every)} timed requests ({args.rounds} rounds of 50 queries), ms:")
        for kind, ts in timings.items():
            ts.sort()
            print(
                f"  {kind:10} p50 {statistics.median(ts):6.1f}  max {ts[-1]:6.1f}"
                f"  hits per query {hits[kind]}"
            )
        p99 = every[min(len(every) - 1, round(0.99 * (len(every) - 1)))]
        print(f"all: p50 {statistics.median(every):.1f} ms, p99 {p99:.1f} ms (target <= 30)")
        worst = sorted(per_query.items(), key=lambda kv: -max(kv[1]))[:8]
        print("slowest queries (max, median ms): " + ", ".join(
            f"{q!r} {max(ts):.0f}/{statistics.median(ts):.0f}" for q, ts in worst))  # fmt: skip
    finally:
        session.close()
        server.stop()


if __name__ == "__main__":
    main()
