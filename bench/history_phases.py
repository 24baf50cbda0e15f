"""The history phases of the streaming benchmark (`stream_bench.py`; issue 13's figure).

`seed_history` and `seed_branched_history` store a long conversation (the latter with branch
points along its current path) before the window starts; `bench_history` times showing one
and reports the RSS, `bench_branched_history` alternates the plain and the branched path and
prints their medians.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from bench_text import history_text
from PySide6.QtWidgets import QApplication
from stream_support import settle, verdict, wait

from backend.records import new_id
from backend.store import Store
from desktop.views.main_window import MainWindow


def seed_history(data_dir: Path, count: int) -> str:
    store = Store.open(data_dir / "chat.sqlite3")
    try:
        cid = store.create_conversation("A long history").id
        for i in range(count // 2):
            _user, reply = store.add_turn(cid, f"Question {i}: {history_text(i)[:120]}", new_id())
            store.finish_reply(reply.id, history_text(i), "complete")
        store.create_conversation("Opened first")  # newer: the window opens this one
    finally:
        store.close()
    return cid


def seed_branched_history(data_dir: Path, count: int, branch_points: int) -> str:
    """A conversation whose current path is `count` messages, `branch_points` of its replies
    with an older alternative beside them (as after Regenerate): `‹ 2/2 ›` on each."""
    store = Store.open(data_dir / "chat.sqlite3")
    try:
        cid = store.create_conversation("A branched history").id
        every = max(1, (count // 2) // max(1, branch_points))
        parent: str | None = None
        seq, branched = 0, 0
        with store.transaction() as conn:
            for i in range(count):
                if i % 2 and (i // 2) % every == 0 and branched < branch_points:
                    seq += 1
                    branched += 1
                    conn.execute(
                        "INSERT INTO messages (id, conversation_id, parent_id, seq, role,"
                        " content, status, created_at) VALUES (?,?,?,?,?,?,'complete',?)",
                        (new_id(), cid, parent, seq, "assistant", f"An older answer {i}",
                         "2025-01-01T00:00:00.000000Z"),
                    )  # fmt: skip
                seq += 1
                mid = new_id()
                text = (
                    history_text(i // 2) if i % 2 else f"Question {i // 2}: {history_text(i)[:120]}"
                )
                conn.execute(
                    "INSERT INTO messages (id, conversation_id, parent_id, seq, role, content,"
                    " status, created_at) VALUES (?,?,?,?,?,?,'complete',?)",
                    (mid, cid, parent, seq, "assistant" if i % 2 else "user", text,
                     "2025-01-01T00:00:01.000000Z"),
                )  # fmt: skip
                parent = mid
            conn.execute("UPDATE conversations SET head_id = ? WHERE id = ?", (parent, cid))
        store.create_conversation("Opened first")  # newer: the window opens this one
    finally:
        store.close()
    return cid


def rss_mb() -> tuple[float, float]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    now = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
    return now, peak


def bench_history(app: QApplication, window: MainWindow, cid: str, count: int) -> float:
    ctrl = window.controller
    t0, cpu0 = time.perf_counter(), time.thread_time()
    ctrl.select(cid)

    def shown() -> bool:
        model = ctrl.model_for(cid)
        return (
            model is not None
            and model.rowCount() == count
            and bool(window.chat_view.widgets)
            and window.chat_view.widgets[-1].message.id == model.messages[-1].id
        )

    wait(app, shown, timeout=60)
    settle()
    app.processEvents()
    took = time.perf_counter() - t0
    gui_cpu = time.thread_time() - cpu0
    now, peak = rss_mb()
    view = window.chat_view
    print(
        f"history: {count:,} stored messages shown in {took * 1000:.0f} ms"
        f" (GUI thread CPU {gui_cpu * 1000:.0f} ms)"
        f" ({len(view.widgets)} message widgets; target <= 300 ms: {verdict(took <= 0.3)})"
    )
    # scroll up through a few pages, as a user would
    bar = view.verticalScrollBar()
    for _ in range(20):
        bar.setValue(0)
        app.processEvents()
        settle()
    now2, peak = rss_mb()
    print(
        f"  RSS {now:.0f} MB after showing it, peak {peak:.0f} MB;"
        f" after 20 pages up: {now2:.0f} MB, {len(view.widgets)} widgets from row"
        f" {view.first_row}  (target peak <= 300 MB: {verdict(peak <= 300)})"
    )
    return took


def bench_branched_history(
    app: QApplication,
    window: MainWindow,
    small: str,
    plain: str,
    branched: str,
    args: argparse.Namespace,
) -> None:
    """The history figure for the plain and the branched path, alternately (`--history-rounds`
    pairs, each opened from the short conversation `small`), and their medians."""
    times: dict[str, list[float]] = {"plain": [], "branched": []}  # wall seconds
    for _ in range(args.history_rounds):
        for name, cid in (("plain", plain), ("branched", branched)):
            window.controller.select(small)
            wait(app, lambda: window.controller.current_id == small)
            wait(app, lambda: len(window.chat_view.widgets) <= 2)
            settle()
            print(
                f"{name} path"
                + (f" ({args.branch_points} branch points)" if cid == branched else "")
            )
            times[name].append(bench_history(app, window, cid, args.history))
    plain_ms, branched_ms = (statistics.median(times[k]) * 1000 for k in ("plain", "branched"))
    print(
        f"history medians of {args.history_rounds}: plain {plain_ms:.0f} ms, with"
        f" {args.branch_points} branch points {branched_ms:.0f} ms (ratio"
        f" {branched_ms / plain_ms:.2f}; target <= 300 ms: {verdict(branched_ms <= 300)});"
        f" fastest: plain {min(times['plain']) * 1000:.0f} ms,"
        f" branched {min(times['branched']) * 1000:.0f} ms"
    )
