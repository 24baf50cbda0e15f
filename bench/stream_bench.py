"""Streaming benchmark of the real window (offscreen) on the real embedded backend.

Prints figures, it is not a test. Run from the repository root:

    .venv/bin/python bench/stream_bench.py [--chars 200000] [--history 10000]

- throughput: a ~200,000-character Markdown reply (echo responder, no pause), from the
  POST that starts it to its last character in the chat view (all of the text taken in and
  what is on screen rendered), against the same stream read by a bare requests-sse loop
  (no GUI) in the same process, just before; `--runs` such pairs, and the median ratio;
- stall: the worst lateness of a 5 ms QTimer heartbeat on the GUI thread meanwhile (the
  worst of the runs);
- growth: GUI time per update (model update, view, layout, paint) at ~2 KB and ~200 KB;
- latency: responder paced at 100 chunks/s: chunk yielded -> its text in the view;
- history: time to show a stored 10,000-message conversation, and the peak RSS then; then
  the same for a 10,000-message path with 500 branch points (`--branch-points`; issue 13);
- with `--reasoning`, the reasoning variant too (issue 14): a reply of a 50 KB reasoning part,
  then a 150 KB answer (the echo responder reasons from a leading `<think>...</think>`,
  PROTOCOL.md section 8), throughput (the bare loop counts `reasoning` and `delta` events),
  stall and latency against the same targets. It waits for every `MarkdownBody` in the reply's
  widget to have taken in all its text and rendered what is on screen, so a thinking block
  built from `MarkdownBody` is measured once the window shows reasoning, with no change here;
  until then the window shows the answer only and the figures are for that.

The instrumentation (the paced responder, the feed hooks, `wait`, `Heartbeat`, ...) is in
`stream_support.py`, the history phases in `history_phases.py`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_text import markdown_reply  # noqa: E402
from history_phases import (  # noqa: E402
    bench_branched_history,
    bench_history,
    seed_branched_history,
    seed_history,
)
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sse_throughput import start_turn  # noqa: E402
from stream_support import (  # noqa: E402  (patches the app: see its docstring)
    EVENTS,
    PACE,
    SENT,
    SHOWN,
    Heartbeat,
    answer_of,
    consume,
    settle,
    thinking,
    verdict,
    wait,
)

from backend.config import Settings  # noqa: E402
from backend.records import new_id  # noqa: E402
from desktop.app import build_window  # noqa: E402
from desktop.prefs.ui import UiSettings  # noqa: E402
from desktop.records import Message  # noqa: E402
from desktop.views.main_window import MainWindow  # noqa: E402
from desktop.views.markdown_body import MarkdownBody  # noqa: E402
from desktop.workers import LaunchConfig  # noqa: E402


@dataclass
class Throughput:
    bare_cps: float
    bare_eps: float
    bare_events: int
    gui_cps: float
    gui_eps: float
    gui_events: int
    stall: float  # worst heartbeat lateness, seconds

    @property
    def ratio(self) -> float:
        return self.gui_cps / self.bare_cps


def measure_throughput(app: QApplication, window: MainWindow, text: str) -> Throughput:
    """One bare-loop run, then one run through the window, on the same backend."""
    server = window.launcher.server
    assert server is not None
    headers = {"Authorization": f"Bearer {server.token}"}
    base = server.base_url
    # the bare loop: same backend, same text, no GUI work meanwhile
    t0 = time.perf_counter()
    url = start_turn(base, headers, text)
    chars, events, _ = consume(base + url, headers)
    bare_s = time.perf_counter() - t0
    # the window
    window.controller.new_conversation()  # a draft: the first message creates it
    wait(app, lambda: window.controller.current_id == "")
    EVENTS["deltas"] = 0
    hb = Heartbeat()
    hb.start()
    t0 = time.perf_counter()
    if not window.controller.send(text):
        raise RuntimeError("the window refused to send")

    answer = answer_of(text)

    def shown() -> bool:
        """All of the text taken into the view, and what is on screen rendered (in every
        `MarkdownBody` of the reply: its answer, and its reasoning once that is shown)."""
        widgets = window.chat_view.widgets
        if len(widgets) != 2 or len(widgets[-1].body.text()) < len(answer):
            return False
        if not isinstance(widgets[-1].body, MarkdownBody):
            return True
        bodies = widgets[-1].findChildren(MarkdownBody)
        if any(body.pending for body in bodies):
            return False
        settle()
        return not any(body.unrendered_in_view for body in bodies)

    gui_s = wait(app, shown) - t0
    hb.stop()
    wait(app, lambda: not window.controller.is_streaming())
    # the conversation goes, as a user would delete it (the runs do not pile up in memory)
    cid = window.controller.current_id
    window.controller.delete(cid)
    wait(app, lambda: window.controller.model_for(cid) is None)
    shown_chars = len(answer) if answer is text else len(text) - len("<think></think>")
    return Throughput(
        chars / bare_s,
        events / bare_s,
        events,
        shown_chars / gui_s,
        EVENTS["deltas"] / gui_s,
        EVENTS["deltas"],
        hb.worst,
    )


def bench_throughput(
    app: QApplication, window: MainWindow, text: str, runs: int, label: str = ""
) -> None:
    results = [measure_throughput(app, window, text) for _ in range(runs)]
    print(f"throughput{label}: {len(text):,} chars of Markdown, {runs} paired run(s)")
    for i, r in enumerate(results, 1):
        print(
            f"  run {i}: bare requests-sse loop {r.bare_cps:>10,.0f} chars/s"
            f" {r.bare_eps:>5,.0f} events/s ({r.bare_events} events);"
            f" chat view {r.gui_cps:>10,.0f} chars/s {r.gui_eps:>5,.0f} events/s"
            f" ({r.gui_events} delta events); ratio {r.ratio:.2f}; stall {r.stall * 1000:.1f} ms"
        )
    ratio = statistics.median(r.ratio for r in results)
    stall = max(r.stall for r in results)
    print(f"  ratio GUI/bare, median: {ratio:.2f}  (target >= 0.7: {verdict(ratio >= 0.7)})")
    print(
        f"stall{label}: worst heartbeat lateness {stall * 1000:.1f} ms (worst of the runs)"
        f"  (target <= 50 ms: {verdict(stall <= 0.05)})"
    )


def bench_growth(app: QApplication, window: MainWindow, text: str, step: int = 100) -> None:
    """Drive the window's own model like the stream does, one update of `step` chars."""
    model = window.controller.current_model
    mid = new_id()
    model.append(Message(mid, model.conversation_id, "assistant", "", "streaming", ""))
    settle()
    small: list[float] = []
    large: list[float] = []
    for pos in range(0, len(text), step):
        t0 = time.perf_counter()
        model.append_delta(mid, text[pos : pos + step])
        settle()
        spent = time.perf_counter() - t0
        if 1000 <= pos <= 3000:
            small.append(spent)
        elif pos >= len(text) - 10_000:
            large.append(spent)
        app.processEvents()
    model.remove_from(mid)
    a, b = statistics.median(small), statistics.median(large)
    print(f"growth: GUI time per update of {step} chars (model, view, layout, paint)")
    print(
        f"  at ~2 KB: {a * 1000:.2f} ms median (n={len(small)});"
        f" at ~200 KB: {b * 1000:.2f} ms median (n={len(large)})"
    )
    print(f"  ratio: {b / a:.2f}  (target <= 2: {verdict(b / a <= 2)})")


def bench_latency(
    app: QApplication, window: MainWindow, chars: int, reasoning_chars: int = 0
) -> None:
    """With `reasoning_chars`, the reply first reasons that many characters; only the
    answer's chunks count (the view's `MarkdownBody` counts the answer's characters)."""
    PACE["delay"] = 0.01
    text = markdown_reply(chars)
    if reasoning_chars:
        text = thinking(markdown_reply(reasoning_chars), text)
    answer = answer_of(text)
    SENT.clear()
    SHOWN.clear()
    window.controller.new_conversation()  # a draft: the first message creates it
    wait(app, lambda: window.controller.current_id == "")
    window.controller.send(text)
    wait(app, lambda: bool(window.controller.is_streaming()))
    wait(app, lambda: not window.controller.is_streaming(), timeout=60)
    PACE["delay"] = 0.0
    sent = SENT[-len(answer) :]
    lat: list[float] = []
    j = 0
    for i, t in enumerate(sent):
        while j < len(SHOWN) and (SHOWN[j][1] < i + 1 or SHOWN[j][0] < t):
            j += 1
        if j < len(SHOWN):
            lat.append(SHOWN[j][0] - t)
    lat.sort()
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    label = f" (reasoning variant: {reasoning_chars} chars of reasoning first)"
    if not reasoning_chars:
        label = ""
    print(
        f"latency{label}: {len(lat)} chunks at {rate:.0f} chunks/s,"
        " chunk leaves responder -> in view"
    )
    print(
        f"  p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
        f"  (target p99 <= 40 ms: {verdict(p99 <= 0.04)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=200_000)
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--latency-chars", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="paired throughput runs")
    parser.add_argument(
        "--reasoning", action="store_true", help="the reasoning variant too (issue 14)"
    )
    parser.add_argument("--only-reasoning", action="store_true", help="the reasoning variant alone")
    parser.add_argument("--reasoning-chars", type=int, default=50_000)
    parser.add_argument(
        "--branch-points",
        type=int,
        default=500,
        help="the history figure again, on a path with this many branch points (0: not)",
    )
    parser.add_argument("--history-rounds", type=int, default=3, help="plain/branched pairs")
    parser.add_argument("--only-history", action="store_true", help="the history figures alone")
    parser.add_argument("--answer-chars", type=int, default=150_000)
    args = parser.parse_args()
    reasoning = args.reasoning or args.only_reasoning
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        cid = seed_history(data, args.history)
        branched = None
        if args.branch_points:
            branched = seed_branched_history(data, args.history, args.branch_points)
        settings = Settings(
            data_dir=data,
            echo_delay=0.0,
            max_content_chars=max(args.chars, args.reasoning_chars + args.answer_chars) + 1000,
            max_body_bytes=8 << 20,
        )
        ui = UiSettings(QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        window = build_window(LaunchConfig(settings=settings), ui)
        window.resize(1000, 800)
        window.show()
        ready: list[bool] = []
        window.controller.ready_changed.connect(ready.append)
        window.start()
        wait(app, lambda: bool(ready))
        wait(app, lambda: bool(window.controller.current_id))  # it opens the history
        small = window.controller.current_id  # "Opened first": no messages
        text = markdown_reply(args.chars)
        try:
            if not args.only_reasoning and not args.only_history:
                bench_throughput(app, window, text, args.runs)
                bench_growth(app, window, text)
                bench_latency(app, window, args.latency_chars)
            if reasoning and not args.only_history:
                thought = thinking(
                    markdown_reply(args.reasoning_chars), markdown_reply(args.answer_chars)
                )
                bench_throughput(app, window, thought, args.runs, " (reasoning variant)")
                bench_latency(app, window, args.latency_chars, args.latency_chars // 4)
            if not args.only_reasoning and branched is None:
                bench_history(app, window, cid, args.history)
            elif not args.only_reasoning:
                bench_branched_history(app, window, small, cid, branched, args)
        finally:
            window.close()
            app.processEvents()


if __name__ == "__main__":
    main()
