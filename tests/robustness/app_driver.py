"""The desktop app as `python -m desktop --data-dir D --echo-delay X` runs it, plus a hook.

`python tests/robustness/app_driver.py --data-dir D --echo-delay X --message-file F`

Builds the real application and `MainWindow` with the embedded backend (the same calls as
`desktop.app.run`), and once the backend is ready types the message into the composer
(pasted, then Enter, as a user would), then runs until it is killed. It prints, for the
test that drives it (a pipe, never a log):

    READY <base_url> <token>
    SENT <conversation id> <reply id>
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--echo-delay", type=float, default=0.01)
    parser.add_argument("--message-file", type=Path)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window, create_application, launch_config
    from desktop.prefs.ui import UiSettings

    config = launch_config(data_dir=args.data_dir, echo_delay=args.echo_delay)
    assert config.settings is not None
    app = create_application()
    ui = UiSettings(QSettings(str(args.data_dir / "driver-ui.ini"), QSettings.Format.IniFormat))
    window = build_window(config, ui)
    window.show()
    QTimer.singleShot(0, window.start)
    message = args.message_file.read_text(encoding="utf-8") if args.message_file else ""

    def ready(is_ready: bool) -> None:
        if not is_ready:
            return
        print(f"READY {window.launcher.server.base_url} {config.settings.token}", flush=True)  # type: ignore[union-attr]
        if message:
            QTimer.singleShot(200, send)

    def send() -> None:
        if window.controller.current_id:  # a restored conversation: start a new one
            window.controller.select("", force=True)
        window.composer.set_draft(message)
        box = window.composer.input
        box.setFocus()
        for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
            QApplication.sendEvent(
                box, QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
            )

    def sent() -> None:
        model = window.controller.current_model
        print(f"SENT {model.conversation_id} {model.messages[-1].id}", flush=True)

    def error(text: str) -> None:
        print(f"ERROR {text}", flush=True)

    window.controller.ready_changed.connect(ready)
    window.controller.sent.connect(sent)
    window.controller.error.connect(error)
    app.aboutToQuit.connect(window.shutdown)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
