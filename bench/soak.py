"""Soak: the real app, offscreen, chatting for N minutes; does memory or fd count drift?

    .venv/bin/python bench/soak.py [--minutes 10] [--interval 3] [--echo-delay 0.002]

Runs `MainWindow` with its embedded backend (a temporary data folder) in this process, as
`python -m desktop` does. Every `--interval` seconds, when no reply is streaming, it types a
message into the composer (pasted, then Enter), varying its length and Markdown (lists, code,
links, emoji); every tenth message starts a new conversation. Each reply must come back equal
to the message. Prints RSS and open file descriptors at start, after a warm-up minute and at
the end, the drift since the warm-up, the message counts and the number of errors (error
banners, replies that did not complete or differ). Exit code 1 if any error.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from backend.config import Settings  # noqa: E402
from desktop.app import build_window, create_application  # noqa: E402
from desktop.prefs.ui import UiSettings  # noqa: E402
from desktop.views.main_window import MainWindow  # noqa: E402
from desktop.workers import LaunchConfig  # noqa: E402

WARM_UP_SECONDS = 60.0
SNIPPETS = (
    "Plain words, then more words. ",
    "**bold** and _italic_ and `code`. ",
    "\n\n- a list item\n- another one\n\n",
    "\n\n```python\ndef f(x: int) -> int:\n    return x * 2\n```\n\n",
    "A [link](https://example.invalid/page) here. ",
    "Emoji 👋🏽 and 日本語 and שלום. ",
    "\n\n> a quote\n\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n",
)


def run_until(done: Callable[[], bool], timeout: float) -> bool:
    """Run the Qt event loop until `done()` (checked every 20 ms) or `timeout` seconds."""
    if done():
        return True
    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    poll = QTimer()
    poll.setInterval(20)

    def check() -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    return done()


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Snapshot:
    at: float
    rss_kib: int
    fds: int
    sent: int
    widgets: int = 0  # QApplication.allWidgets()
    objects: int = 0  # objects the Python collector tracks

    @classmethod
    def take(cls, at: float, sent: int) -> Snapshot:
        return cls(at, rss_kib(), open_fds(), sent, len(QApplication.allWidgets()), gc_objects())

    def line(self, label: str) -> str:
        return (
            f"{label:>8}: t={self.at:6.0f} s  RSS {self.rss_kib / 1024:7.1f} MiB  "
            f"fds {self.fds:4d}  widgets {self.widgets:5d}  Python objects {self.objects:7d}"
            f"  messages {self.sent}"
        )


def type_counts() -> Counter[str]:
    gc.collect()
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def gc_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


@dataclass
class Soak:
    window: MainWindow
    rng: random.Random
    sent: int = 0
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    pending: str | None = None  # the text of the message whose reply we wait for

    def message(self) -> str:
        parts = [self.rng.choice(SNIPPETS) for _ in range(self.rng.randint(3, 40))]
        return f"#{self.sent + 1} " + "".join(parts).strip()

    def tick(self) -> None:
        controller = self.window.controller
        if self.pending is not None or controller.is_streaming():
            return
        if self.sent and self.sent % 10 == 0:
            controller.select("", force=True)  # the next send starts a new conversation
        text = self.message()
        self.pending = text
        self.sent += 1
        self.window.composer.set_draft(text)
        box = self.window.composer.input
        box.setFocus()
        for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
            QApplication.sendEvent(
                box, QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
            )

    def reply_ended(self, mid: str) -> None:
        model = self.window.controller.current_model
        reply = model.message(mid)
        expected, self.pending = self.pending, None
        if reply is None:
            self.errors.append(f"reply {mid} not in the shown conversation")
        elif reply.status != "complete":
            self.errors.append(f"reply {mid} ended {reply.status}")
        elif reply.content != (expected or "").strip() and reply.content != expected:
            self.errors.append(f"reply {mid} differs from its message ({len(reply.content)} chars)")
        else:
            self.completed += 1

    def error(self, text: str) -> None:
        self.errors.append(f"banner: {text}")
        self.pending = None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between messages")
    parser.add_argument("--echo-delay", type=float, default=0.002)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--types", action="store_true", help="print the object types that grew since warm-up"
    )
    args = parser.parse_args()

    app = create_application()
    with tempfile.TemporaryDirectory(prefix="sse-chat-soak-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", echo_delay=args.echo_delay)
        ui = UiSettings(QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        window = build_window(LaunchConfig(settings=settings), ui)
        window.show()
        window.start()
        if not run_until(lambda: window.controller.ready, 30):
            print(f"soak: FAILED: the backend did not start: {window.backend_error}")
            return 1
        soak = Soak(window, random.Random(args.seed))

        def excepthook(kind: type[BaseException], exc: BaseException, tb: object) -> None:
            # an exception escaping a Qt slot lands here: an error of the run
            soak.errors.append(f"exception in a slot: {kind.__name__}: {exc}")
            sys.__excepthook__(kind, exc, tb)  # type: ignore[arg-type]

        sys.excepthook = excepthook
        window.controller.reply_ended.connect(soak.reply_ended)
        window.controller.error.connect(soak.error)
        t0 = time.monotonic()
        start = Snapshot.take(0.0, 0)
        print(start.line("start"), flush=True)
        warm: list[Snapshot] = []
        warm_types: Counter[str] = Counter()
        loop = QEventLoop()
        sender = QTimer()
        sender.setInterval(int(args.interval * 1000))
        sender.timeout.connect(soak.tick)
        sampler = QTimer()
        sampler.setInterval(30_000)

        def sample() -> None:
            now = time.monotonic() - t0
            snap = Snapshot.take(now, soak.sent)
            if not warm and now >= WARM_UP_SECONDS:
                warm.append(snap)
                if args.types:
                    warm_types.update(type_counts())
                print(snap.line("warm"), flush=True)
            else:
                print(snap.line("sample"), flush=True)

        sampler.timeout.connect(sample)
        QTimer.singleShot(int(args.minutes * 60_000), loop.quit)
        sender.start()
        sampler.start()
        soak.tick()
        loop.exec()
        sender.stop()
        sampler.stop()
        # let the last reply finish (bounded)
        run_until(lambda: soak.pending is None, 30)
        end = Snapshot.take(time.monotonic() - t0, soak.sent)
        print(end.line("end"), flush=True)
        base = warm[0] if warm else start
        print(
            f"drift since {'warm-up' if warm else 'start'}: RSS "
            f"{(end.rss_kib - base.rss_kib) / 1024:+.1f} MiB, fds {end.fds - base.fds:+d}; "
            f"since start: RSS {(end.rss_kib - start.rss_kib) / 1024:+.1f} MiB, "
            f"fds {end.fds - start.fds:+d}"
        )
        print(f"messages: {soak.sent} sent, {soak.completed} replies complete and identical")
        print(f"errors: {len(soak.errors)}")
        if args.types and warm_types:
            grown = type_counts()
            grown.subtract(warm_types)
            print("grew since warm-up:", ", ".join(f"{t} {n:+d}" for t, n in grown.most_common(12)))
        for problem in soak.errors[:10]:
            print(f"  {problem}")
        window.close()
        window.deleteLater()
        app.processEvents()
    return 1 if soak.errors or soak.completed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
