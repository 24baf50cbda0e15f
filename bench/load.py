"""Load: many conversations streaming at full speed through `python -m backend`, a very slow
subscriber, the server's memory, and a desktop window's responsiveness meanwhile.

    .venv/bin/python bench/load.py [--conversations 100] [--chars 5000] [--no-desktop]

Starts `python -m backend` (echo responder, no delay) on 127.0.0.1 as a child process, then:

- N clients, each in its own conversation, send a ~CHARS-character message at once and read
  the reply's event stream to its end; each must get exactly its text back;
- one raw-socket subscriber with a tiny receive buffer follows a 100,000-character reply,
  reading a few bytes every 50 ms while the load runs (then the rest), and must get it whole;
- the server's VmRSS is sampled every 100 ms (before, peak, after);
- unless `--no-desktop`: the real `MainWindow`, connected to that server (`--connect`),
  streams a reply of its own while a 10 ms QTimer heartbeat measures the worst lateness of
  its event loop. The load clients then run in a child process so they do not share the
  window's interpreter lock.

Everything talks to 127.0.0.1 only. Prints one line per figure; exit code 1 on any failure.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.load_clients import SlowReader, _clients_in_child, make_text, run_clients, start_turn

REPO = Path(__file__).resolve().parents[1]
#: The heartbeat runs at least this long, so a quick load still gets a real sample.
MIN_DESKTOP_SECONDS = 3.0
# --------------------------------------------------------------------------- the server


@dataclass
class Backend:
    proc: subprocess.Popen[bytes]
    base_url: str
    token: str
    port: int

    @property
    def pid(self) -> int:
        return self.proc.pid


@contextmanager
def backend_process(
    data_dir: Path, token: str = "load-bench-token-0123456789"
) -> Iterator[Backend]:
    """`python -m backend --port 0 --echo-delay 0` until the block ends (then SIGTERM)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend", "--port", "0", "--echo-delay", "0", "--token", token,
         "--data-dir", str(data_dir), "--log-level", "warning"],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline().decode() + proc.stdout.readline().decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", banner)
        if match is None:
            raise RuntimeError(f"no banner from the backend: {banner!r}")
        port = int(match.group(1))
        backend = Backend(proc, f"http://127.0.0.1:{port}", token, port)
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{backend.base_url}/api/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the backend did not become healthy")
            time.sleep(0.05)
        yield backend
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if proc.stdout is not None:
            proc.stdout.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = rss_kib(pid)
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.peak = max(self.peak, rss_kib(self.pid))

    def stop(self) -> int:
        self._stop_event.set()
        self.join(5)
        return self.peak


# --------------------------------------------------------------------------- one run


@dataclass
class LoadResult:
    conversations: int
    chars: int
    completed: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rss_before_kib: int = 0
    rss_peak_kib: int = 0
    rss_after_kib: int = 0
    slow_ok: bool = False
    slow_bytes_during_load: int = 0
    slow_reply_chars: int = 0
    heartbeat_worst_ms: float | None = None
    heartbeat_ticks: int = 0
    desktop_reply_ok: bool | None = None

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.conversations
            and not self.failures
            and self.slow_ok
            and self.desktop_reply_ok is not False
        )

    def lines(self) -> list[str]:
        out = [
            f"conversations: {self.completed}/{self.conversations} came back exactly "
            f"({self.chars} chars each) in {self.seconds:.1f} s",
            f"server RSS: {self.rss_before_kib / 1024:.1f} MiB before, "
            f"{self.rss_peak_kib / 1024:.1f} MiB peak, {self.rss_after_kib / 1024:.1f} MiB after",
            f"slow reader: {'ok' if self.slow_ok else 'FAILED'}, {self.slow_reply_chars}-char "
            f"reply; {self.slow_bytes_during_load} bytes read during the load",
        ]
        if self.heartbeat_worst_ms is not None:
            out.append(
                f"desktop heartbeat: worst lateness {self.heartbeat_worst_ms:.0f} ms over "
                f"{self.heartbeat_ticks} ticks of 10 ms; its own reply "
                f"{'ok' if self.desktop_reply_ok else 'FAILED'}"
            )
        out += [f"failure: {f}" for f in self.failures[:5]]
        return out


def run_load(
    conversations: int,
    chars: int,
    data_dir: Path,
    slow_chars: int = 100_000,
    desktop: bool = False,
    desktop_chars: int = 5000,
) -> LoadResult:
    result = LoadResult(conversations, chars)
    with backend_process(data_dir) as backend:
        # warm up (imports, first store calls) before the "before" figure
        run_clients(backend.base_url, backend.token, 2, 200)
        result.rss_before_kib = rss_kib(backend.pid)
        sampler = RssSampler(backend.pid)
        sampler.start()
        slow_text = make_text(slow_chars, seed=99)
        slow = SlowReader(backend.port, backend.token,
                          start_turn(backend.base_url, backend.token, slow_text))  # fmt: skip
        slow.start()
        if desktop:
            _with_desktop(backend, result, desktop_chars)
        else:
            result.completed, result.failures, result.seconds = run_clients(
                backend.base_url, backend.token, conversations, chars
            )
        result.slow_bytes_during_load = slow.slow_bytes
        got, end, status = slow.finish()
        result.slow_reply_chars = len(got)
        result.slow_ok = got == slow_text and end == slow_text and status == "complete"
        if slow.error:
            result.failures.append(f"slow reader: {slow.error}")
        result.rss_peak_kib = sampler.stop()
        result.rss_after_kib = rss_kib(backend.pid)
    return result


def _with_desktop(backend: Backend, result: LoadResult, desktop_chars: int) -> None:
    """Run the load in a child process while the real window streams and a heartbeat ticks."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer

    from desktop.app import build_window, create_application
    from desktop.prefs.ui import UiSettings
    from desktop.workers import LaunchConfig

    app = create_application()
    with tempfile.TemporaryDirectory() as tmp:
        ui = UiSettings(QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        window = build_window(LaunchConfig(connect_url=backend.base_url, token=backend.token), ui)
        window.show()
        window.start()
        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(20)
        deadline = time.monotonic() + 20

        def check() -> None:
            if window.controller.ready or time.monotonic() > deadline:
                loop.quit()

        poll.timeout.connect(check)
        poll.start()
        loop.exec()
        poll.stop()
        if not window.controller.ready:
            raise RuntimeError(f"the window did not connect: {window.backend_error}")
        ctx = multiprocessing.get_context("spawn")
        out: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
        child = ctx.Process(
            target=_clients_in_child,
            args=(backend.base_url, backend.token, result.conversations, result.chars, out),
        )
        own_text = make_text(desktop_chars, seed=7)
        worst = 0.0
        ticks = 0
        clock = QElapsedTimer()
        heartbeat = QTimer()
        heartbeat.setInterval(10)

        def beat() -> None:
            nonlocal worst, ticks
            elapsed = clock.restart()
            if ticks:
                worst = max(worst, elapsed - 10.0)
            ticks += 1
            done = not child.is_alive() and not window.controller.is_streaming()
            if done and time.monotonic() - started > MIN_DESKTOP_SECONDS:
                loop.quit()

        heartbeat.timeout.connect(beat)
        started = time.monotonic()
        child.start()
        window.controller.send(own_text)
        clock.start()
        heartbeat.start()
        QTimer.singleShot(180_000, loop.quit)
        loop.exec()
        heartbeat.stop()
        child.join(30)
        result.seconds = time.monotonic() - started
        result.completed, result.failures, _ = out.get(timeout=10)
        messages = window.controller.current_model.messages
        result.desktop_reply_ok = bool(messages) and messages[-1].content == own_text
        result.heartbeat_worst_ms = worst
        result.heartbeat_ticks = ticks
        window.close()
        window.deleteLater()
        app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--slow-chars", type=int, default=100_000)
    parser.add_argument("--no-desktop", action="store_true")
    parser.add_argument(
        "--desktop-chars", type=int, default=5000, help="the window's own reply (default 5000)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sse-chat-load-") as tmp:
        result = run_load(
            args.conversations, args.chars, Path(tmp) / "data", args.slow_chars,
            desktop=not args.no_desktop, desktop_chars=args.desktop_chars,
        )  # fmt: skip
    for line in result.lines():
        print(line)
    print("load: ok" if result.ok else "load: FAILED")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
