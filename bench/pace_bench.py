"""CPU the app spends to show a stream at a realistic pace (issue 14), offscreen.

Prints figures, it is not a test. Run from the repository root:

    .venv/bin/python bench/pace_bench.py [--rates 100,1000] [--seconds 30]

A loopback model server (OpenAI-format SSE, in a child process so its own CPU is not
counted) sends ~4-character tokens of Markdown, one `chat.completion.chunk` each, at each
rate in turn, through the OpenAI-compatible provider into the real window. For each rate it
prints the process's CPU seconds per second of stream (user + system, all threads) as a
percentage of one core, the share of each thread (per-thread CPU from
`/proc/self/task/*/stat`: the GUI thread, the backend's server thread, the stream worker,
the store thread...), and the lateness of a 10 ms heartbeat `QTimer` (precise) on the GUI
thread: p50, p99, worst. An idle baseline (the heartbeat alone, nothing streaming, once
start-up has settled) is printed first, and each rate says how far above it it is.
Targets: <= 5% of one core at 100 tokens/s, <= 25% at 1,000 tokens/s,
p99 heartbeat lateness <= 10 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_text import markdown_reply  # noqa: E402

TOKEN_CHARS = 4
SETTLE_S = 3.0  # after the backend is ready: what start-up left to do (lazy imports...)
IDLE_S = 5.0  # the idle baseline: the heartbeat alone
TICK = os.sysconf("SC_CLK_TCK")


# -- the model server (child process) -------------------------------------------------------
def tokens(count: int) -> Iterator[str]:
    text = markdown_reply(count * TOKEN_CHARS + 200)
    for i in range(count):
        yield text[i * TOKEN_CHARS : (i + 1) * TOKEN_CHARS]


class ModelHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    rate = 100.0
    count = 3000

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _json(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._json({"object": "list", "data": [{"id": "pace", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        if self.path.endswith("/rate"):
            type(self).rate, type(self).count = float(body["rate"]), int(body["count"])
            self._json({})
            return
        if not body.get("stream"):
            msg = {"role": "assistant", "content": "Pace"}
            self._json({"choices": [{"index": 0, "message": msg, "finish_reason": "stop"}]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        rate, start = self.rate, time.perf_counter()
        try:
            for i, tok in enumerate(tokens(self.count)):
                wait = start + i / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                chunk = {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "model": "pace",
                    "choices": [{"index": 0, "delta": {"content": tok}, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            end = {"id": "c", "object": "chat.completion.chunk", "model": "pace"}
            end["choices"] = [{"index": 0, "delta": {}, "finish_reason": "stop"}]  # type: ignore[assignment]
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def serve() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModelHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# -- the window (this process) --------------------------------------------------------------
def thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process, by native id."""
    out: dict[int, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def process_cpu() -> float:
    """CPU seconds of the whole process, ended threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            names[int(task.name)] = (task / "comm").read_text().strip()
    for t in threading.enumerate():
        if t.native_id is not None:
            names[t.native_id] = t.name
    names[os.getpid()] = "GUI (main)"
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="100,1000", help="tokens/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0, help="stream length at each rate")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return

    import requests
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from backend.config import ProviderSettings, Settings
    from desktop.app import build_window
    from desktop.prefs.ui import UiSettings
    from desktop.views.markdown_body import MarkdownBody
    from desktop.workers import LaunchConfig

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    port = int(child.stdout.readline())
    base = f"http://127.0.0.1:{port}/v1"
    app = QApplication([])

    def wait(done: Callable[[], bool], timeout: float = 300.0) -> None:
        """Run the event loop until `done()` (checked every 50 ms)."""
        if done():
            return
        loop = QEventLoop()
        tick = QTimer()
        tick.timeout.connect(lambda: loop.quit() if done() else None)
        tick.start(50)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(int(timeout * 1000))
        loop.exec()
        tick.stop()
        if not done():
            raise TimeoutError("the benchmark waited too long")

    lateness: list[float] = []
    last = [0.0]

    def beat() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - 0.010))
        last[0] = now

    heart = QTimer()
    heart.setTimerType(Qt.TimerType.PreciseTimer)
    heart.setInterval(10)
    heart.timeout.connect(beat)

    def measure(label: str, run: Callable[[], None]) -> tuple[float, float]:
        lateness.clear()
        before, t0, cpu0 = thread_cpu(), time.perf_counter(), process_cpu()
        last[0] = t0
        heart.start()
        run()
        heart.stop()
        after, wall = thread_cpu(), time.perf_counter() - t0
        names = thread_names()
        total = process_cpu() - cpu0
        ended = total - sum(after[k] - before.get(k, 0.0) for k in after)
        lat = sorted(lateness) or [0.0]
        p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(
            f"{label}: {wall:.1f} s; process CPU {total:.2f} s"
            f" = {total / wall * 100:.1f}% of one core;"
            f" heartbeat lateness p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms,"
            f" worst {lat[-1] * 1000:.1f} ms ({len(lateness)} beats)"
        )
        shares = sorted(((after[k] - before.get(k, 0.0), k) for k in after), reverse=True)
        for spent, k in shares:
            if spent > 0:
                print(f"    {names.get(k, str(k)):<28} {spent / wall * 100:5.1f}%  ({spent:.2f} s)")
        print(f"    {'threads ended meanwhile':<28} {ended / wall * 100:5.1f}% (the stream worker)")
        return total / wall, p99

    with tempfile.TemporaryDirectory() as tmp:
        provider = ProviderSettings(
            provider="openai", base_url=base, model="pace", auto_title=False
        )
        settings = Settings(data_dir=Path(tmp) / "data", provider=provider)
        ui = UiSettings(QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        window = build_window(LaunchConfig(settings=settings), ui)
        window.resize(1000, 800)
        window.show()
        ready: list[bool] = []
        window.controller.ready_changed.connect(ready.append)
        window.start()
        wait(lambda: bool(ready))
        ctrl = window.controller
        try:
            settled = time.perf_counter() + SETTLE_S  # start-up's last work (not measured)
            wait(lambda: time.perf_counter() > settled)
            end = time.perf_counter() + IDLE_S
            idle, _ = measure(
                "idle (heartbeat only)", lambda: wait(lambda: time.perf_counter() > end)
            )
            for rate in (float(r) for r in args.rates.split(",")):
                count = int(rate * args.seconds)
                requests.post(f"{base}/rate", json={"rate": rate, "count": count}, timeout=5)
                ctrl.new_conversation()  # a draft: the first message creates it
                wait(lambda: ctrl.current_id == "")

                def stream() -> None:
                    if not ctrl.send("Write something long."):
                        raise RuntimeError("the window refused to send")
                    wait(lambda: bool(ctrl.is_streaming()))
                    wait(lambda: not ctrl.is_streaming(), timeout=args.seconds * 4 + 60)

                cpu, p99 = measure(
                    f"{rate:g} tokens/s ({count} tokens of {TOKEN_CHARS} chars)", stream
                )
                body = window.chat_view.widgets[-1].body
                shown = len(body.text()) if isinstance(body, MarkdownBody) else -1
                target = 0.05 if rate <= 100 else 0.25
                print(
                    f"  reply shown: {shown:,} chars; CPU target <= {target * 100:.0f}%:"
                    f" {'MET' if cpu <= target else 'MISSED'};"
                    f" p99 target <= 10 ms: {'MET' if p99 <= 0.010 else 'MISSED'};"
                    f" above the idle baseline (the stream's own cost):"
                    f" {(cpu - idle) * 100:.1f}%"
                )
        finally:
            window.close()
            app.processEvents()
            child.terminate()
            child.wait(10)


if __name__ == "__main__":
    main()
