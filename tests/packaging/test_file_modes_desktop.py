"""The desktop's own files are private too (issue 11, item 7): the log folder 0700, the log
file and its rotated copies 0600, the settings file (which holds the API key when there is
no keyring) 0600 in a 0700 folder; created so whatever the umask, tightened if looser."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop.logfile import install_file_log, log_path, remove_handler
from desktop.prefs.ui import UiSettings

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_the_log_file_and_its_rotations_are_private(
    tmp_path: Path, loose_umask: None, restore_root: None
) -> None:
    handler = install_file_log(tmp_path / "data")
    assert handler is not None
    path = log_path(tmp_path / "data")
    logging.getLogger("desktop.test").warning("a line")
    handler.doRollover()  # the new file is made by the handler, not by our first open
    logging.getLogger("desktop.test").warning("another line")
    remove_handler(handler)
    assert mode(path.parent) == oct(0o700)
    assert {p.name: mode(p) for p in path.parent.iterdir()} == {
        "sse-chat.log": oct(0o600),
        "sse-chat.log.1": oct(0o600),
    }

    for p in (path, path.with_name("sse-chat.log.1")):
        p.chmod(0o644)
    path.parent.chmod(0o755)
    handler = install_file_log(tmp_path / "data")
    remove_handler(handler)
    assert mode(path.parent) == oct(0o700)
    assert {p.name: mode(p) for p in path.parent.iterdir()} == {
        "sse-chat.log": oct(0o600),
        "sse-chat.log.1": oct(0o600),
    }


def test_the_settings_file_is_private(tmp_path: Path, loose_umask: None) -> None:
    folder = tmp_path / "config" / "sse-chat"
    store = QSettings(str(folder / "sse-chat.conf"), QSettings.Format.IniFormat)
    settings = UiSettings(store)
    settings.last_conversation = "c1"
    store.setValue("provider/api_key", "sk-fallback")  # what the no-keyring fallback writes
    settings.sync()
    path = Path(store.fileName())
    assert "sk-fallback" in path.read_text()
    assert (mode(folder), mode(path)) == (oct(0o700), oct(0o600))

    path.chmod(0o644)
    folder.chmod(0o755)
    again = UiSettings(QSettings(str(path), QSettings.Format.IniFormat))
    again.last_conversation = "c2"
    again.sync()
    assert (mode(folder), mode(path)) == (oct(0o700), oct(0o600))
