"""Start-up benchmark: time to window shown and to backend ready, idle RSS, bundle size.

    .venv/bin/python bench/startup_bench.py [--runs 5] [--frozen dist/sse-chat/sse-chat]

Each run starts the app with `SSE_CHAT_STARTUP_PROBE=1` (see `desktop/startup_probe.py`): it
prints wall-clock timestamps of its first paint and of the backend answering, then its RSS
after idling, and quits. Times are measured from just before the process is spawned, so they
include interpreter start-up and imports. One warm-up run (not counted) fills the disk cache.
Each run gets a fresh data folder and its own XDG_CONFIG_HOME (the user's settings are never
touched); without a display it runs on the offscreen platform. The frozen part is skipped,
with a line saying so, when the bundle is missing. No asserts: it prints, and marks targets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "startup-probe:"
TARGETS = {
    ("python -m desktop", "window"): 0.5,
    ("python -m desktop", "backend"): 1.0,
    ("frozen one-folder", "window"): 1.0,
}
RSS_TARGET_MIB = 150
BUNDLE_TARGET_MIB = 150


@dataclass
class Run:
    window: float
    backend: float
    rss_mib: float
    window_cpu: float  # the app's CPU seconds (all threads) by its first paint
    backend_cpu: float  # and by the backend's first answer


def probe(command: list[str], timeout: float = 60.0) -> Run:
    with tempfile.TemporaryDirectory(prefix="sse-chat-bench-") as tmp:
        env = dict(os.environ, SSE_CHAT_STARTUP_PROBE="1", XDG_CONFIG_HOME=f"{tmp}/config")
        if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
        start = time.time()
        done = subprocess.run(
            [*command, "--data-dir", f"{tmp}/data"],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    values: dict[str, str] = {}
    for line in done.stdout.splitlines():
        if line.startswith(PREFIX):
            key, _, value = line[len(PREFIX) :].strip().partition("=")
            values[key] = value
    if "backend_ready" not in values or "window_shown" not in values:
        raise RuntimeError(
            f"{command[0]} gave no probe output (exit {done.returncode}): "
            f"{done.stdout[-500:]} {done.stderr[-1500:]}"
        )
    return Run(
        window=float(values["window_shown"]) - start,
        backend=float(values["backend_ready"]) - start,
        rss_mib=int(values.get("idle_rss_kb", "0")) / 1024,
        window_cpu=float(values.get("window_shown_cpu", "nan")),
        backend_cpu=float(values.get("backend_ready_cpu", "nan")),
    )


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def measure(label: str, command: list[str], runs: int) -> None:
    probe(command)  # warm-up
    results = [probe(command) for _ in range(runs)]
    window = statistics.median(r.window for r in results)
    backend = statistics.median(r.backend for r in results)
    rss = statistics.median(r.rss_mib for r in results)
    print(f"{label} (median of {runs}):")
    for what, value in (("window shown", window), ("backend ready", backend)):
        target = TARGETS.get((label, what.split()[0]))
        note = f"  [target <= {target:.1f} s: {mark(value <= target)}]" if target else ""
        print(f"  {what:<14} {value:6.3f} s{note}")
    cpu = (
        statistics.median(r.window_cpu for r in results),
        statistics.median(r.backend_cpu for r in results),
    )
    print(
        f"  {'CPU by then':<14} {cpu[0]:6.3f} s / {cpu[1]:.3f} s (the app's CPU seconds, all"
        " threads, by the first paint / by backend ready: less sensitive to load)"
    )
    print(
        f"  {'idle RSS':<14} {rss:6.1f} MiB  [target <= {RSS_TARGET_MIB} MiB: "
        f"{mark(rss <= RSS_TARGET_MIB)}]"
    )


def bundle_size_mib(folder: Path) -> float:
    """The folder's size in MiB (2**20 bytes), as `scripts/build_and_selftest.sh` prints it."""
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    return total / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / "sse-chat" / "sse-chat")
    args = parser.parse_args()
    platform = "offscreen" if not os.environ.get("DISPLAY") else os.environ["DISPLAY"]
    print(f"startup bench: {args.runs} runs each (+1 warm-up), platform {platform}")
    measure("python -m desktop", [sys.executable, "-m", "desktop"], args.runs)
    if not args.frozen.exists():
        print(
            f"frozen one-folder: skipped ({args.frozen} missing; build it with "
            "`pyinstaller build.spec`)"
        )
        return 0
    measure("frozen one-folder", [str(args.frozen)], args.runs)
    size = bundle_size_mib(args.frozen.parent)
    print(
        f"bundle size: {size:.1f} MiB ({args.frozen.parent})  "
        f"[target <= {BUNDLE_TARGET_MIB} MiB: {mark(size <= BUNDLE_TARGET_MIB)}]"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
