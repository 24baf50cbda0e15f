"""The rotating log file in the data folder, with no token or API key in it."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from backend.config import default_data_dir
from desktop.logfile import BACKUP_COUNT, MAX_BYTES, install_file_log, log_path, remove_handler
from desktop.selftest import choose_platform

TOKEN = "tok-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e"
API_KEY = "sk-live-0123456789abcdef"


def test_log_file_is_created_rotating_and_free_of_secrets(
    tmp_path: Path, restore_root: None
) -> None:
    handler = install_file_log(tmp_path, TOKEN, API_KEY)
    assert isinstance(handler, RotatingFileHandler)
    assert handler.maxBytes == MAX_BYTES and handler.backupCount == BACKUP_COUNT
    logging.getLogger("desktop.test").info("launched with token %s", TOKEN)
    logging.getLogger("desktop.test").warning("provider key is %s", API_KEY)
    logging.getLogger("backend.test").info('"GET /api/messages/m1/events?token=%s"', TOKEN)
    remove_handler(handler)
    path = log_path(tmp_path)
    assert path == tmp_path / "logs" / "sse-chat.log"
    text = path.read_text(encoding="utf-8")
    assert "launched with token [redacted]" in text
    assert "provider key is [redacted]" in text
    assert "token=[redacted]" in text
    assert TOKEN not in text and API_KEY not in text


def test_an_unwritable_log_folder_is_not_fatal(tmp_path: Path, restore_root: None) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert install_file_log(blocker / "data", TOKEN) is None


def test_data_folder_is_the_backend_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen app must not change it: nothing in desktop/ picks another folder."""
    from desktop.app import launch_config
    from desktop.views.about import data_folder_of

    monkeypatch.delenv("SSE_CHAT_DATA_DIR", raising=False)
    config = launch_config()
    assert config.settings is not None
    assert data_folder_of(config) == default_data_dir()
    assert data_folder_of(launch_config(connect_url="http://127.0.0.1:1")) == default_data_dir()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "offscreen"),
        ({"DISPLAY": ":0"}, "default"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "default"),
        ({"QT_QPA_PLATFORM": "xcb"}, "xcb"),
    ],
)
def test_self_test_goes_offscreen_only_without_a_display(
    env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    assert choose_platform(dict(env)) == expected
