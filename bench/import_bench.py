"""Import benchmark (issue 13): a generated ChatGPT-shaped `conversations.json` of `--mb` MB.

Prints the time (MB/s; target >= 20), the server's CPU seconds, and its peak RSS growth while
it imports (target <= 150 MB); then how long the server takes to index the imported messages
for search afterwards (`backend.search_backlog`; search finds them meanwhile). The file has
branches (regenerated replies), hidden system messages, `thoughts` and tool calls, as real
exports do. The server is a child process, so its memory
is its own. Asserts nothing.

    python bench/import_bench.py [--mb 200] [--keep /tmp/chatgpt-200mb.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_data import Words, vocabulary  # noqa: E402
from server_process import ServerProcess  # noqa: E402


def _node(nid: str, parent: str | None, role: str | None, content: dict | None, t: float,
          **extra: object) -> dict:  # fmt: skip
    message = None
    if role is not None:
        message = {
            "id": nid, "author": {"role": role, "name": None, "metadata": {}},
            "create_time": t, "update_time": None, "content": content,
            "status": "finished_successfully", "end_turn": True, "weight": 1.0,
            "metadata": {"model_slug": "gpt-4o", "finish_details": {"type": "stop"}},
            "recipient": "all", **extra,
        }  # fmt: skip
    return {"id": nid, "message": message, "parent": parent, "children": []}


def conversation(i: int, rng: random.Random, words: Words) -> dict:
    t = 1_700_000_000 + i * 1000.0
    hidden = {"is_visually_hidden_from_conversation": True}
    nodes = [_node(f"{i}-root", None, None, None, t),
             _node(f"{i}-sys", f"{i}-root", "system", {"content_type": "text", "parts": [""]},
                   t, metadata=hidden)]  # fmt: skip
    parent = nodes[-1]["id"]
    for turn in range(rng.randint(2, 12)):
        uid = f"{i}-u{turn}"
        asked = {"content_type": "text", "parts": [words.text()]}
        nodes.append(_node(uid, parent, "user", asked, t + turn))
        above = uid
        if rng.random() < 0.2:
            tid = f"{i}-t{turn}"
            nodes.append(_node(tid, uid, "assistant", {"content_type": "thoughts", "thoughts": [
                {"summary": "Thinking", "content": words.text()}]}, t + turn + 0.1))  # fmt: skip
            above = tid
        replies = 2 if rng.random() < 0.15 else 1  # a regenerated reply now and then
        for r in range(replies):
            aid = f"{i}-a{turn}-{r}"
            text = " ".join(words.text() for _ in range(3))
            nodes.append(_node(aid, above, "assistant", {"content_type": "text", "parts": [text]},
                               t + turn + 0.5 + r))  # fmt: skip
        parent = aid
    mapping = {n["id"]: n for n in nodes}
    for n in nodes:
        if n["parent"]:
            mapping[n["parent"]]["children"].append(n["id"])
    return {"title": f"Conversation {i}", "create_time": t, "update_time": t + 100,
            "mapping": mapping, "moderation_results": [], "current_node": parent,
            "plugin_ids": None, "conversation_id": f"conv-{i}", "id": f"conv-{i}"}  # fmt: skip


def generate(path: Path, megabytes: int) -> tuple[int, int]:
    rng = random.Random(5)
    words = Words(random.Random(13), vocabulary(random.Random(13)))
    target = megabytes * 1_000_000
    size, count = 1, 0
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        while size < target:
            text = json.dumps(conversation(count, rng, words), ensure_ascii=False)
            if count:
                f.write(", ")
                size += 2
            f.write(text)
            size += len(text.encode())
            count += 1
        f.write("]")
    return path.stat().st_size, count


def backlog(data: Path) -> int:
    """Imported messages the server has yet to index for search (it indexes them after)."""
    with sqlite3.connect(f"file:{data / 'chat.sqlite3'}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--keep", type=Path, help="the generated file (made if missing)")
    ap.add_argument("--no-indexing", action="store_true",
                    help="stop after the import (do not wait for the search indexing)")  # fmt: skip
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = args.keep or Path(tmp) / "conversations.json"
        if not source.exists():
            t0 = time.perf_counter()
            size, count = generate(source, args.mb)
            print(f"generated {size / 1e6:.0f} MB, {count:,} conversations"
                  f" in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        size = source.stat().st_size
        server = ServerProcess(Path(tmp) / "data")
        try:
            baseline = server.rss()
            server.reset_peak()
            cpu0 = server.cpu_seconds()
            t0 = time.perf_counter()
            with source.open("rb") as body:
                resp = requests.post(server.base_url + "/api/import", data=body,
                                     headers=server.headers, timeout=3600)  # fmt: skip
            elapsed = time.perf_counter() - t0
            cpu = server.cpu_seconds() - cpu0
            peak = server.peak()
            resp.raise_for_status()
            result = resp.json()
            print(f"imported {result['conversations']:,} conversations, {result['messages']:,}"
                  f" messages, skipped {len(result['skipped'])}")  # fmt: skip
            print(f"time {elapsed:.1f} s = {size / 1e6 / elapsed:.1f} MB/s (target >= 20);"
                  f" server CPU {cpu:.1f} s = {size / 1e6 / cpu:.1f} MB/CPU-s")  # fmt: skip
            if args.no_indexing:
                print(f"server RSS {baseline / 1e6:.0f} MB before, peak {peak / 1e6:.0f} MB:"
                      f" growth {(peak - baseline) / 1e6:.0f} MB (target <= 150)")  # fmt: skip
                return
            indexed = time.perf_counter()
            while backlog(Path(tmp) / "data") > 0:
                time.sleep(0.2)
            print(f"search indexing after the import: {time.perf_counter() - indexed:.1f} s"
                  f" (server CPU {server.cpu_seconds() - cpu0 - cpu:.1f} s), peak RSS growth"
                  f" by its end {(server.peak() - baseline) / 1e6:.0f} MB")  # fmt: skip
            print(f"server RSS {baseline / 1e6:.0f} MB before, peak {peak / 1e6:.0f} MB:"
                  f" growth {(peak - baseline) / 1e6:.0f} MB (target <= 150)")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
