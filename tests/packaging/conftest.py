"""Fixtures for the packaging tests: offscreen Qt, isolated settings, a restorable theme,
a restorable root logger."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import logging  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QObject, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.logfile import remove_handler  # noqa: E402
from desktop.prefs.ui import UiSettings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ui_settings(tmp_path: Path) -> UiSettings:
    """QSettings in a file of this test's own: never the user's real settings."""
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The test QApplication; its style, palette and stylesheet are restored afterwards."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)
    state = qapp.findChild(QObject, "sse-chat-theme")
    if state is not None:  # the next apply_theme applies again (it skips the scheme shown)
        state.scheme = None  # type: ignore[attr-defined]


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment for an `sse-chat` subprocess: headless, settings in `tmp_path`."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=str(ROOT),
    )
    env.pop("SSE_CHAT_DATA_DIR", None)
    env.pop("SSE_CHAT_STARTUP_PROBE", None)
    return env


@pytest.fixture
def sse_chat() -> list[str]:
    """The command that runs the app the way `sse-chat` does."""
    return [sys.executable, "-m", "desktop"]


@pytest.fixture
def restore_root() -> Iterator[None]:
    """The root logger's level, handlers and their filters are put back afterwards (a test
    may install the log file's handler)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    filters = {h: list(h.filters) for h in handlers}
    yield
    root.setLevel(level)
    for handler in root.handlers:
        if handler not in handlers:
            remove_handler(handler)
    for handler, kept in filters.items():
        handler.filters = kept
