"""`sse-chat --self-test`: prove an installed (or frozen) app works, end to end, then exit.

It runs headless when there is no display (`QT_QPA_PLATFORM=offscreen` unless set), starts
the real embedded backend in a temporary data folder (or `--data-dir`), types a message
into the real `MainWindow`'s composer and presses Enter, waits for the streamed echo to be
complete in the chat view, reads the stored history back over HTTP with `ChatClient`,
typesets one formula, checks the log file holds no token, closes the window (threads and
server stopped) and prints one line, `self-test: ok (...)` or `self-test: FAILED: <reason>`.
Exit code 0 on success, 1 on failure, 3 if it had to be killed by its watchdog. Every step
goes through the same imports as a normal start, so a bundle missing a module, plugin or
resource fails.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Non-ASCII text, and a code block so the reply's Markdown and highlighting are rendered.
MESSAGE = "Hello from the self-test: ünïcødé ✓ — 1 2 3\n```python\nprint('ok')\n```"
#: A formula typeset once (as in a reply) to prove the math renderer is there.
FORMULA = r"\frac{-b \pm \sqrt{b^2-4ac}}{2a}"
DEFAULT_TIMEOUT = 45.0
SHUTDOWN_GRACE = 15.0
ECHO_DELAY = 0.002
WATCHDOG_EXIT = 3
POLL_MS = 20


class SelfTestError(Exception):
    """A check failed; the message is the reason printed in the verdict."""


@dataclass
class Outcome:
    platform: str
    base_url: str
    reply_chars: int
    formula: str = ""  # the size of the formula typeset, "WxH"


def choose_platform(env: MutableMapping[str, str] = os.environ) -> str:
    """Use `offscreen` on a display-less Unix unless QT_QPA_PLATFORM says otherwise."""
    headless = not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY")
    unix = sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
    if unix and headless and not env.get("QT_QPA_PLATFORM"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env.get("QT_QPA_PLATFORM", "") or "default"


def _verdict(line: str) -> None:
    if sys.stdout is not None:
        print(line, flush=True)  # noqa: T201 - the self-test's one line of output


def _watchdog(limit: float) -> threading.Timer:
    def expire() -> None:
        _verdict(f"self-test: FAILED: no verdict within {limit:g} s (hung; killed)")
        os._exit(WATCHDOG_EXIT)

    timer = threading.Timer(limit, expire)
    timer.daemon = True
    timer.name = "sse-chat-selftest-watchdog"
    timer.start()
    return timer


def run_self_test(
    data_dir: Path | None = None,
    echo_delay: float | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """Run the self-test; prints the verdict and returns the exit code."""
    started = time.monotonic()
    choose_platform()
    watchdog = _watchdog(timeout + SHUTDOWN_GRACE)
    reason = ""
    outcome: Outcome | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="sse-chat-selftest-") as tmp:
            scratch = Path(tmp)
            folder = data_dir.expanduser() if data_dir is not None else scratch / "data"
            delay = ECHO_DELAY if echo_delay is None else echo_delay
            outcome = _run(folder, scratch, delay, started + timeout)
    except SelfTestError as exc:
        reason = str(exc)
    except Exception as exc:  # anything else is a failure too, with its reason
        log.exception("self-test crashed")
        reason = f"{type(exc).__name__}: {exc}"
    finally:
        watchdog.cancel()
    elapsed = time.monotonic() - started
    if outcome is None or reason:
        _verdict(f"self-test: FAILED: {reason or 'unknown error'}")
        return 1
    kind = "frozen" if getattr(sys, "frozen", False) else "python"
    _verdict(
        f"self-test: ok ({kind}, Qt platform {outcome.platform}, backend {outcome.base_url}, "
        f"{outcome.reply_chars}-character reply streamed and stored, "
        f"formula typeset {outcome.formula}, {elapsed:.1f} s)"
    )
    return 0


def _run(folder: Path, scratch: Path, echo_delay: float, deadline: float) -> Outcome:
    # Qt and the app are imported here, after the platform is chosen
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings

    from backend.config import Settings
    from desktop.app import build_window, create_application
    from desktop.logfile import install_file_log, log_path, remove_handler
    from desktop.prefs.ui import UiSettings
    from desktop.resources import app_icon
    from desktop.theme import STYLESHEET, current_theme
    from desktop.workers import LaunchConfig

    _check_lazy_imports()
    settings = Settings(data_dir=folder, echo_delay=echo_delay)
    handler = install_file_log(folder, settings.token)
    try:
        app = create_application()
        if app_icon().isNull():
            raise SelfTestError("the app icon is missing (resources/icons)")
        if current_theme(app)[1] is None or not app.styleSheet().strip():
            raise SelfTestError(f"the stylesheet is missing ({STYLESHEET})")
        formula = _check_math()
        ui = UiSettings(QSettings(str(scratch / "ui.ini"), QSettings.Format.IniFormat))
        window = build_window(LaunchConfig(settings=settings), ui)
        try:
            outcome = _drive(window, deadline)
            outcome.formula = formula
        finally:
            window.close()  # runs MainWindow.shutdown(): streams, calls, server
            _check_stopped(window)
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            app.processEvents()
    finally:
        remove_handler(handler)
    _check_log(log_path(folder), settings.token, handler is not None)
    return outcome


def _check_lazy_imports() -> None:
    """What the app loads by name at run time, which a bundle may lack although every
    static import is there: keyring's backends (found through package metadata) and
    Pygments' lexers and styles (imported from a name table)."""
    from importlib import import_module, metadata
    from importlib.util import find_spec

    if find_spec("keyring") is not None:
        found = {entry.name for entry in metadata.entry_points(group="keyring.backends")}
        if not found:
            raise SelfTestError("keyring finds no backends (its package metadata is missing)")
        if sys.platform.startswith("linux"):
            for name in ("keyring.backends.SecretService", "secretstorage"):
                try:
                    import_module(name)
                except ImportError as exc:
                    raise SelfTestError(f"cannot import {name}: {exc}") from None
    if find_spec("pygments") is not None:
        lexers, styles = import_module("pygments.lexers"), import_module("pygments.styles")
        try:
            lexers.get_lexer_by_name("python")
            styles.get_style_by_name("default")
        except import_module("pygments.util").ClassNotFound as exc:
            raise SelfTestError(f"Pygments cannot load its lexers or styles: {exc}") from None


def _check_math() -> str:
    """Typeset one formula as a reply's would be (ziamath, its fonts and latex2mathml's
    tables, QtSvg): its size, "WxH" pixels."""
    from desktop.render.mathrender import MathKey, render_math

    result = render_math(MathKey(FORMULA, True, 20.0, "#000000"))
    image = result.image
    inked = result.ok and any(
        image.pixelColor(x, y).alpha() > 0
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
    )
    if not inked:
        raise SelfTestError(f"the formula {FORMULA!r} was not typeset (ziamath, QtSvg)")
    return f"{image.width()}x{image.height()}"


def _wait(what: str, done: Callable[[], bool], failed: Callable[[], str], deadline: float) -> None:
    """Run the event loop until `done()`; SelfTestError on `failed()` or the deadline."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(POLL_MS)

    def check() -> None:
        if done() or failed() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    if not (done() or failed()):
        loop.exec()
    timer.stop()
    problem = failed()
    if problem:
        raise SelfTestError(problem)
    if not done():
        raise SelfTestError(f"timed out waiting for {what}")


def _type(window: object, text: str) -> None:
    """Type `text` into the composer key by key (Shift+Enter for a new line), then press
    Enter, as a user would."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from desktop.views.main_window import MainWindow

    assert isinstance(window, MainWindow)
    box = window.composer.input
    box.setFocus()
    none = Qt.KeyboardModifier.NoModifier
    shift = Qt.KeyboardModifier.ShiftModifier
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            if char == "\n":
                QApplication.sendEvent(box, QKeyEvent(kind, Qt.Key.Key_Return, shift, "\r"))
            else:
                QApplication.sendEvent(box, QKeyEvent(kind, 0, none, char))
    if box.toPlainText() != text:
        raise SelfTestError(f"the composer shows {box.toPlainText()!r} after typing {text!r}")
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(box, QKeyEvent(kind, Qt.Key.Key_Return, none, "\r"))


def _drive(window: object, deadline: float) -> Outcome:
    from PySide6.QtGui import QGuiApplication

    from desktop.client import ChatClient
    from desktop.views.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.show()
    window.start()
    never: Callable[[], str] = lambda: ""  # noqa: E731

    def backend_failed() -> str:
        return f"the backend did not start: {window.backend_error}" if window.backend_error else ""

    def exposed() -> bool:
        handle = window.windowHandle()
        return handle is not None and handle.isExposed()

    _wait("the window to be shown", exposed, never, deadline)
    _wait("the backend", lambda: window.controller.ready, backend_failed, deadline)

    ended: list[str] = []
    errors: list[str] = []
    window.controller.reply_ended.connect(ended.append)
    window.controller.error.connect(errors.append)
    _type(window, MESSAGE)

    def ui_error() -> str:
        return f"the window reported: {errors[0]}" if errors else ""

    _wait("the streamed reply", lambda: bool(ended), ui_error, deadline)
    widgets = window.chat_view.widgets
    if len(widgets) != 2:
        raise SelfTestError(f"the chat view shows {len(widgets)} messages, expected 2")
    user, reply = widgets
    if user.text != MESSAGE or reply.text != MESSAGE:
        raise SelfTestError(f"the chat view shows {user.text!r} / {reply.text!r}")
    if reply.message.status != "complete":
        raise SelfTestError(f"the reply ended as {reply.message.status!r}, not complete")
    if window.composer.draft:
        raise SelfTestError("the composer was not cleared after sending")

    server = window.launcher.server
    if server is None:
        raise SelfTestError("no embedded server is running")
    client = ChatClient(server.base_url, server.token)
    try:
        detail = client.get_conversation(window.controller.current_id)
    finally:
        client.close()
    stored = [(m.role, m.content, m.status) for m in detail.messages]
    expected = [("user", MESSAGE, "complete"), ("assistant", MESSAGE, "complete")]
    if stored != expected:
        raise SelfTestError(f"the stored history is {stored!r}, expected {expected!r}")
    log.info("self-test: reply streamed and stored")
    return Outcome(QGuiApplication.platformName(), server.base_url, len(MESSAGE))


def _check_stopped(window: object) -> None:
    from PySide6.QtCore import QThread

    from desktop.views.main_window import MainWindow

    assert isinstance(window, MainWindow)
    running = [t.objectName() for t in window.findChildren(QThread) if t.isRunning()]
    if running:
        raise SelfTestError(f"threads still running after shutdown: {running}")
    if window.launcher.server is not None:
        raise SelfTestError("the embedded server was not stopped")
    alive = [t.name for t in threading.enumerate() if t.name.startswith("sse-chat-server")]
    if alive:
        raise SelfTestError(f"server threads still running after shutdown: {alive}")


def _check_log(path: Path, token: str, expected: bool) -> None:
    if not expected:
        return
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SelfTestError(f"the log file {path} was not written: {exc.strerror}") from None
    if token in text:
        raise SelfTestError(f"the launch token appears in the log file {path}")
