"""Where the GUI thread stalls during `stream_bench.py` (a diagnostic, not a benchmark).

Runs `stream_bench.py` with the same arguments, with a probe beside its heartbeat. For
each heartbeat interval longer than `PROBE_LATE_MS` it keeps: the wall time, the GUI
thread's CPU time (`thread_time`: less sensitive to load than the wall clock), how long the
GUI thread was runnable but not running (`/proc/.../schedstat`: the machine's load), the
process's CPU (all threads: the embedded server, the stream workers), the garbage
collections meanwhile, the GUI CPU of the app's main functions (`TIMED`, more with
`PROBE_FUNCS=module:Class.name,...`), and the GUI thread's Python stack, sampled every 2 ms
by a probe thread (`sys._current_frames()`) while the heartbeat is late. What is not in a
timed function or a sampled Python frame is Qt's own work (layout, paint) or waiting for
the GIL. It prints the worst intervals (`PROBE_SHOW`, by `PROBE_SORT=wall|cpu`); options,
all environment variables:

- `PROBE_SEQ=1`: the timed calls of an interval in order, with the time they started;
- `PROBE_ENTRIES=1`: count the calls from the event loop into Python (each takes the GIL
  back; a profile hook: slower);
- `PROBE_PROFILE_MS=N`: cProfile (on the thread's CPU clock) every interval of more than N
  ms of GUI CPU (`PROBE_PROFILE_LINES`);
- `PROBE_STACKS`, `PROBE_DEPTH`: how many sampled stacks per interval, how deep;
- `PROBE_SWITCH_S=0.0002`: try another GIL switch interval (`desktop.workers.server`).

    .venv/bin/python bench/stream_probe.py --runs 3 --history 10 --branch-points 0
"""

from __future__ import annotations

import collections
import cProfile
import gc
import io
import os
import pstats
import sys
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stream_bench  # noqa: E402
from stream_support import Heartbeat  # noqa: E402

LATE = float(os.environ.get("PROBE_LATE_MS", "30")) / 1000
SHOW = int(os.environ.get("PROBE_SHOW", "6"))
#: "wall" (the default) or "cpu": which stalls are the worst.
SORT = os.environ.get("PROBE_SORT", "wall")
STACKS = int(os.environ.get("PROBE_STACKS", "3"))
#: Count the calls from the event loop into Python (each takes the GIL back).
ENTRIES = os.environ.get("PROBE_ENTRIES", "") == "1"
ENTERED: collections.Counter[str] = collections.Counter()
SEQ = os.environ.get("PROBE_SEQ", "") == "1"
#: cProfile each pass; keep the profiles of passes over this many ms of GUI CPU (0: off).
PROFILE_MS = float(os.environ.get("PROBE_PROFILE_MS", "0"))
PROFILE_LINES = int(os.environ.get("PROBE_PROFILE_LINES", "25"))
DEPTH = int(os.environ.get("PROBE_DEPTH", "14"))


class Stall:
    def __init__(self, start: float) -> None:
        self.start = start
        self.wall = 0.0
        self.cpu = 0.0
        self.queued = 0.0  # runnable but not running (the machine's load)
        self.process = 0.0  # CPU of all threads of the process
        self.stacks: collections.Counter[tuple[str, ...]] = collections.Counter()
        self.spent: dict[str, tuple[float, int]] = {}
        self.entries: collections.Counter[str] = collections.Counter()
        self.profile = ""
        self.sequence: list[tuple[float, str, float]] = []


STALLS: list[Stall] = []
#: Garbage collections: (start, seconds, generation, on the GUI thread).
COLLECTIONS: list[tuple[float, float, int, bool]] = []
_gc_start: dict[int, float] = {}


def _gc_callback(phase: str, info: dict[str, int]) -> None:
    now = time.perf_counter()
    ident = threading.get_ident()
    if phase == "start":
        _gc_start[ident] = now
    elif ident in _gc_start:
        start = _gc_start.pop(ident)
        COLLECTIONS.append((start, now - start, info["generation"], ident == GUI_IDENT))


GUI_IDENT = threading.get_ident()
gc.callbacks.append(_gc_callback)
#: GUI CPU (inclusive) of the timed functions since the last heartbeat tick.
SPENT: collections.Counter[str] = collections.Counter()
CALLS: collections.Counter[str] = collections.Counter()
#: The outermost timed calls since the last tick: (start, name, CPU seconds).
SEQUENCE: list[tuple[float, str, float]] = []
_depth = [0]
HEART: list[Heartbeat | None] = [None]
TIMED = [
    "desktop.views.markdown_body:MarkdownBody._feed_some",
    "desktop.views.markdown_body:MarkdownBody._sweep_view",
    "desktop.views.markdown_body:MarkdownBody._render",
    "desktop.views.segments:MarkdownSegment._render",
    "desktop.views.segments:PlainSegment._render",
    "desktop.views.code_block:CodeBlock.__init__",
    "desktop.views.code_block:CodeBlock.colour",
    "desktop.views.code_block:CodeBlock.extend",
    "desktop.views.segments:MarkdownSegment.__init__",
    "desktop.views.plain_body:PlainBody._add_some",
    "desktop.views.plain_body:PlainBody.setText",
    "desktop.views.message_widget:MessageWidget.__init__",
    "desktop.views.message_widget:MessageWidget.set_message",
    "desktop.views.chat_view:ChatView._changed",
    "desktop.views.chat_view:ChatView._inserted",
    "desktop.views.chat_view:ChatView._range_changed",
    "desktop.views.chat_view:ChatView._reveal_visible",
    "desktop.controller:ChatController.send",
    "stream_support:settle",
]


def _timed(name: str, fn):  # type: ignore[no-untyped-def]
    gui = threading.get_ident()

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.get_ident() != gui:
            return fn(*args, **kwargs)
        t0 = time.thread_time()
        w0 = time.perf_counter()
        _depth[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            _depth[0] -= 1
            spent = time.thread_time() - t0
            SPENT[name] += spent
            CALLS[name] += 1
            if not _depth[0]:
                hb = HEART[0]
                left = hb.timer.remainingTime() if hb is not None else 0
                SEQUENCE.append((w0, f"{name}[hb {left}]", spent))

    return wrapper


def time_functions() -> None:
    import importlib

    for spec in TIMED + [s for s in os.environ.get("PROBE_FUNCS", "").split(",") if s]:
        module, _, attr = spec.partition(":")
        owner = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        try:
            setattr(owner, name, _timed(attr, getattr(owner, name)))
        except (AttributeError, TypeError) as exc:
            print(f"probe: cannot time {spec}: {exc}")
    # the bench calls settle() by the name it imported
    import stream_support

    stream_bench.settle = stream_support.settle


class ProbedHeartbeat(Heartbeat):
    def __init__(self) -> None:
        super().__init__()
        self._gui = threading.get_ident()
        self._cpu = time.thread_time()
        self._sched = f"/proc/self/task/{threading.get_native_id()}/schedstat"
        self._queued = self._read_queued()
        self._process = time.process_time()
        self._open: dict[float, Stall] = {}
        self._run = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        HEART[0] = self
        SPENT.clear()
        CALLS.clear()
        ENTERED.clear()
        super().start()
        self._cpu = time.thread_time()
        self._queued = self._read_queued()
        self._process = time.process_time()
        self._run = True
        self._thread = threading.Thread(target=self._probe, daemon=True)
        self._thread.start()
        if PROFILE_MS:
            self._profiler = cProfile.Profile(time.thread_time)
            self._profiler.enable()
        if ENTRIES:
            import stream_support

            wait_code = stream_support.Waiter.wait.__code__

            def profile(frame, event, arg):  # type: ignore[no-untyped-def]
                back = frame.f_back
                if event == "call" and back is not None and back.f_code is wait_code:
                    ENTERED[frame.f_code.co_qualname] += 1
                    if SEQ:
                        SEQUENCE.append((time.perf_counter(), ">" + frame.f_code.co_qualname, 0))

            sys.setprofile(profile)

    def _read_queued(self) -> float:
        try:
            with open(self._sched) as f:
                return int(f.read().split()[1]) / 1e9
        except OSError:
            return 0.0

    def _beat(self) -> None:
        last = self.last
        cpu = time.thread_time()
        queued = self._read_queued()
        process = time.process_time()
        super()._beat()
        stall = self._open.pop(last, None)
        if stall is not None:
            stall.wall = self.last - last
            stall.cpu = cpu - self._cpu
            stall.queued = queued - self._queued
            stall.process = process - self._process
            stall.spent = {k: (v, CALLS[k]) for k, v in SPENT.items()}
            stall.entries = collections.Counter(ENTERED)
            stall.sequence = list(SEQUENCE)
            STALLS.append(stall)
        if PROFILE_MS:
            self._profiler.disable()
            if cpu - self._cpu > PROFILE_MS / 1000:
                out = io.StringIO()
                stats = pstats.Stats(self._profiler, stream=out)
                stats.sort_stats("tottime").print_stats(PROFILE_LINES)
                if stall is None:
                    stall = Stall(last)
                    stall.wall = self.last - last
                    stall.cpu = cpu - self._cpu
                    STALLS.append(stall)
                stall.profile = out.getvalue()
        SPENT.clear()
        CALLS.clear()
        ENTERED.clear()
        SEQUENCE.clear()
        self._cpu, self._queued, self._process = cpu, queued, process
        if PROFILE_MS and self._run:
            self._profiler = cProfile.Profile(time.thread_time)
            self._profiler.enable()

    def stop(self) -> None:
        if PROFILE_MS:
            self._profiler.disable()
        sys.setprofile(None)
        super().stop()
        self._run = False
        if self._thread is not None:
            self._thread.join()

    def _probe(self) -> None:
        while self._run:
            time.sleep(0.002)
            last = self.last
            if time.perf_counter() - last < LATE:
                continue
            frame = sys._current_frames().get(self._gui)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            names = tuple(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack[-DEPTH:])
            stall = self._open.setdefault(last, Stall(last))
            stall.stacks[names] += 1


def report() -> None:
    print(f"\nprobe: {len(STALLS)} stalls over {LATE * 1000:.0f} ms")
    by_gen = collections.defaultdict(list)
    for _, d, g, _gui in COLLECTIONS:
        by_gen[g].append(d)
    for g, ds in sorted(by_gen.items()):
        print(
            f"gc gen{g}: {len(ds)} collections, {sum(ds) * 1000:.0f} ms in all,"
            f" worst {max(ds) * 1000:.1f} ms"
        )
    print(f"switch interval {sys.getswitchinterval() * 1000:.2f} ms")
    walls = sorted((s.wall for s in STALLS), reverse=True)
    print("worst stalls, ms:", " ".join(f"{w * 1000:.0f}" for w in walls[:15]))
    cpus = sorted((s.cpu for s in STALLS), reverse=True)
    print("GUI CPU of the stalled passes, ms:", " ".join(f"{c * 1000:.0f}" for c in cpus[:30]))
    key = (lambda s: -s.cpu) if SORT == "cpu" else (lambda s: -s.wall)
    for stall in sorted(STALLS, key=key)[:SHOW]:
        print(
            f"-- stall {stall.wall * 1000:.0f} ms wall, GUI CPU {stall.cpu * 1000:.0f} ms,"
            f" GUI runnable-not-running {stall.queued * 1000:.0f} ms,"
            f" process CPU {stall.process * 1000:.0f} ms,"
            f" {sum(stall.stacks.values())} samples"
        )
        for name, (spent, calls) in sorted(stall.spent.items(), key=lambda kv: -kv[1][0]):
            print(f"   {spent * 1000:6.1f} ms  {calls:4d} x {name}")
        end = stall.start + stall.wall
        gcs = [c for c in COLLECTIONS if c[0] < end and c[0] + c[1] > stall.start]
        if gcs:
            desc = ", ".join(
                f"gen{g} {d * 1000:.1f} ms{' (GUI thread)' if gui else ''}" for _, d, g, gui in gcs
            )
            print(f"   garbage collections: {desc}")
        if stall.entries:
            top = ", ".join(f"{n} {k}" for k, n in stall.entries.most_common(8))
            print(f"   {sum(stall.entries.values())} entries from the event loop: {top}")
        if stall.profile:
            print(stall.profile)
        if SEQ:
            print(
                "   in order: "
                + ", ".join(
                    f"+{(t - stall.start) * 1000:.0f} {name} {cpu * 1000:.1f}"
                    for t, name, cpu in stall.sequence
                )
            )
        for stack, n in stall.stacks.most_common(STACKS):
            print(f"   {n} x")
            for line in stack:
                print(f"      {line}")


stream_bench.Heartbeat = ProbedHeartbeat  # type: ignore[misc]
if os.environ.get("PROBE_SWITCH_S"):  # try another GIL switch interval
    import desktop.workers.server

    desktop.workers.server.GIL_SWITCH_S = float(os.environ["PROBE_SWITCH_S"])
time_functions()

if __name__ == "__main__":
    try:
        stream_bench.main()
    finally:
        report()
