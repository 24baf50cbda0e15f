"""`sse-chat --install-desktop-entry`: a user-level menu entry and icons, in a temporary HOME."""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import desktop_entry
from desktop.desktop_entry import exec_quote, install, launch_command
from desktop.resources import ICON_SIZES

ROOT = Path(__file__).resolve().parents[2]


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_the_entry_and_icons_are_written_for_the_given_command(tmp_path: Path) -> None:
    command = ["/opt/SSE Chat/sse-chat"]
    written = install(home=tmp_path, command=command)
    entry_path = tmp_path / "applications" / "sse-chat.desktop"
    assert written[0] == entry_path
    entry = read_entry(entry_path)
    assert entry["Exec"] == '"/opt/SSE Chat/sse-chat"'
    assert entry["TryExec"] == '"/opt/SSE Chat/sse-chat"'
    assert entry["Type"] == "Application" and entry["Name"] == "SSE Chat"
    assert entry["Icon"] == "sse-chat"
    assert entry["StartupWMClass"] == "sse-chat"
    for size in ICON_SIZES:
        icon = tmp_path / f"icons/hicolor/{size}x{size}/apps/sse-chat.png"
        assert icon.read_bytes() == (ROOT / f"resources/icons/sse-chat-{size}.png").read_bytes()
    assert (tmp_path / "icons/hicolor/scalable/apps/sse-chat.svg").exists()
    assert len(written) == len(ICON_SIZES) + 2
    for path in written:  # files 0600, folders it made 0700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "applications").stat().st_mode) == 0o700
    assert not list(tmp_path.rglob("*.tmp"))
    install(home=tmp_path, command=["/usr/bin/sse-chat"])  # again: replaced, not added to
    assert read_entry(entry_path)["Exec"] == "/usr/bin/sse-chat"


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/usr/bin/sse-chat", "/usr/bin/sse-chat"),
        ("/home/a b/sse-chat", '"/home/a b/sse-chat"'),
        ("/tmp/100%/x", "/tmp/100%%/x"),
        ('/tmp/say"hi"', '"/tmp/say\\\\"hi\\\\""'),
        ("/tmp/$HOME", '"/tmp/\\\\$HOME"'),
        ("C:\\x", '"C:\\\\\\\\x"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_says(argument: str, quoted: str) -> None:
    assert exec_quote(argument) == quoted


def test_the_command_is_the_running_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/sse-chat/sse-chat")
    assert launch_command() == ["/opt/sse-chat/sse-chat"]  # the bundle itself
    monkeypatch.setattr(sys, "frozen", False)
    monkeypatch.setattr(sys, "argv", ["/home/me/.venv/bin/sse-chat", "--install-desktop-entry"])
    monkeypatch.setattr(Path, "exists", lambda self: str(self) == "/home/me/.venv/bin/sse-chat")
    assert launch_command() == ["/home/me/.venv/bin/sse-chat"]


def test_the_command_line_installs_into_xdg_data_home(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--install-desktop-entry"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    entry_path = tmp_path / "data/applications/sse-chat.desktop"
    assert str(entry_path) in done.stdout
    exec_line = read_entry(entry_path)["Exec"]
    program = exec_line.split()[0].strip('"')
    assert Path(program).is_absolute() and os.access(program, os.X_OK), exec_line
    assert (tmp_path / "data/icons/hicolor/256x256/apps/sse-chat.png").exists()
    assert not (tmp_path / "home").exists()  # XDG_DATA_HOME wins over ~/.local/share
    assert "PySide6" not in done.stderr


def test_without_xdg_data_home_it_goes_to_local_share(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert desktop_entry.data_home() == tmp_path / ".local" / "share"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # not absolute: ignored (spec)
    assert desktop_entry.data_home() == tmp_path / ".local" / "share"
