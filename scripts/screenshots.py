"""Screenshots of the real desktop window in each state, light and dark.

    .venv/bin/python scripts/screenshots.py OUT_DIR

Runs under X: when DISPLAY is unset it starts `Xvfb` itself (on a free display number) and
stops it at the end. Starts the window on an embedded backend in a temporary folder (the
echo responder, so a reply is the message sent), drives it like a user (types, sends,
regenerates, opens Settings) and saves one PNG per state and theme in OUT_DIR.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

log = logging.getLogger("screenshots")

LONG_REPLY = r"""# Merging sorted lists

Here is a **linear-time** merge with `two pointers`, then the rest of either list:

```python
def merge(a: list[int], b: list[int]) -> list[int]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i]); i += 1
        else:
            out.append(b[j]); j += 1
    return out + a[i:] + b[j:]
```

| input a | input b | merged |
|---|---|---|
| 1, 4, 9 | 2, 3, 10 | 1, 2, 3, 4, 9, 10 |
| (empty) | 5 | 5 |

- It runs in $O(n + m)$ time.
- Nested:
  1. one pass
  2. no recursion

> A blockquote: stable, equal items keep their order.

$$\sum_{k=1}^{n} k = \frac{n(n+1)}{2}$$

Emoji too: 🚀 ✅
"""


@contextmanager
def display() -> Iterator[None]:
    """An X display: the one set, else an Xvfb of our own."""
    if os.environ.get("DISPLAY"):
        yield
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("DISPLAY is unset and Xvfb is not installed")
    for number in range(90, 120):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            break
    proc = subprocess.Popen(
        [xvfb, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("Xvfb did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    os.environ.pop("WAYLAND_DISPLAY", None)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if len(argv) != 2:
        raise SystemExit(__doc__)
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with display(), tempfile.TemporaryDirectory() as tmp:
        return shoot(out, Path(tmp))


def shoot(out: Path, tmp: Path) -> int:
    from PySide6.QtCore import QCoreApplication, QSettings, Qt
    from PySide6.QtWidgets import QApplication, QWidget

    from backend.config import Settings
    from desktop.app import build_window, create_application
    from desktop.prefs.ui import UiSettings
    from desktop.theme import apply_theme
    from desktop.workers import LaunchConfig

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp / "qsettings"))
    app = create_application([])

    def wait(cond: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not get there")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def save(widget: QWidget, name: str) -> None:
        settle()
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        log.info("saved %s", path)

    ui = UiSettings(QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat))
    launch = LaunchConfig(settings=Settings(data_dir=tmp / "data", echo_delay=0.0))
    window = build_window(launch, ui)
    window.resize(1440, 900)
    window.show()
    ready: list[bool] = []
    window.controller.ready_changed.connect(ready.append)
    window.start()
    wait(lambda: bool(ready))
    settle(1.0)
    model = lambda: window.controller.current_model  # noqa: E731

    def send(text: str) -> None:
        rows = model().rowCount()
        window.composer.set_draft(text)
        window.composer.input.setFocus()
        window.composer._submit()
        wait(lambda: model().rowCount() >= rows + 2)

    def done() -> bool:
        msgs = model().messages
        return bool(msgs) and not model().streaming()

    for scheme in ("light", "dark"):
        apply_theme(app, scheme)  # type: ignore[arg-type]
        window.resize(1440, 900)
        window.controller.select("")
        settle()
        save(window, f"{scheme}-01-empty")
        window.composer.set_draft("A draft that grows\nover a few lines\nof text")
        save(window, f"{scheme}-02-composer-draft")
        window.composer.set_draft("")
        send("Tell me about merging sorted lists, please, in a few words of text.")
        wait(done)
        send(LONG_REPLY)
        wait(done)
        window.chat_view.scroll_to_bottom()
        save(window, f"{scheme}-03-long-markdown")
        window.controller.actions.regenerate_last()
        wait(lambda: model().rowCount() >= 1 and done())
        settle(1.0)
        save(window, f"{scheme}-04-branch-switcher")
        window.resize(480, 400)
        save(window, f"{scheme}-05-narrow-480x400")
        window.resize(1440, 900)
        window.header.open_prompt()
        window.header.popover.editor.setPlainText("Answer like a pirate.")
        save(window.header.popover, f"{scheme}-06-prompt-popover")
        window.header.popover.hide()
        window.keys.open_sheet()
        assert window.keys.sheet is not None
        save(window.keys.sheet, f"{scheme}-07-shortcuts-sheet")
        window.keys.sheet.close()
        window.open_settings()
        dialog = window.settings_dialog
        assert dialog is not None
        wait(dialog.isVisible)
        save(dialog, f"{scheme}-08-settings")  # the Model tab, Echo
        dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
        dialog.base_url.setText("http://localhost:11434/v1")
        dialog.model.setEditText("llama3.2")
        dialog.system_prompt.setPlainText("Answer briefly.")
        save(dialog, f"{scheme}-09-settings-openai")
        dialog.base_url.clear()
        dialog.save_button.click()  # a complaint under the tabs
        save(dialog, f"{scheme}-09b-settings-complaint")
        dialog.provider.setCurrentIndex(dialog.provider.findData("echo"))
        for tab, name in ((dialog.appearance, "appearance"), (dialog.chat, "chat")):
            dialog.tabs.setCurrentWidget(tab)
            save(dialog, f"{scheme}-09{name[0]}-settings-{name}")
        dialog.appearance.density.setCurrentIndex(dialog.appearance.density.findData("compact"))
        save(window, f"{scheme}-09d-compact-density")  # applied live, behind the dialog
        dialog.reject()
        window.controller.new_conversation()
        wait(lambda: window.controller.current_id == "" and model().rowCount() == 0)  # a draft
        save(window, f"{scheme}-10-new-conversation")
    # streaming, in light: a slow echo
    apply_theme(app, "light")
    server = window.launcher.server
    log.info("streaming shot")
    if server is not None and window.controller.client is not None:
        window.controller.client.put_settings({"provider": "echo", "echo_delay": 0.05})
        send("A reply that streams in slowly, character by character, to be caught mid-way.")
        wait(lambda: len(model().messages[-1].content) > 20)
        save(window, "light-11-streaming")
        window.controller.stop()
        wait(done)
    window.close()
    QCoreApplication.processEvents()
    del Qt
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
