"""The `sse-chat` command line."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from desktop import __version__
from desktop.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"sse-chat {__version__}"


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for option in ("--data-dir", "--echo-delay", "--connect", "--token", "--version"):
        assert option in out


def test_help_names_the_serve_command_and_a_typo_gets_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "sse-chat serve [serve options]" in out and "serve       run the backend" in out
    for argv, hint in ((["serv"], "did you mean 'serve'?"), (["chat"], "the only command")):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert f"unknown command {argv[0]!r}" in err and hint in err


def test_log_level_is_a_choice_in_any_case(capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import build_parser

    assert build_parser().parse_args(["--log-level", "DEBUG"]).log_level == "debug"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--log-level", "verbose"])
    assert "invalid choice" in capsys.readouterr().err


def test_serve_is_handed_to_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    fake = types.ModuleType("backend.cli")

    def serve_main(argv: list[str]) -> int:
        calls.append(list(argv))
        return 0

    monkeypatch.setattr(fake, "serve_main", serve_main, raising=False)
    monkeypatch.setitem(sys.modules, "backend.cli", fake)
    assert main(["serve", "--port", "8000"]) == 0
    assert calls == [["--port", "8000"]]


def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--token", "t"],
        ["--echo-delay", "-1"],
        ["--connect", "http://x", "--data-dir", "d"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_and_serve_do_not_load_qt() -> None:
    code = (
        "import sys, desktop.cli\n"
        "assert 'PySide6' not in sys.modules, 'cli imported Qt'\n"
        "try:\n"
        "    desktop.cli.main(['serve', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'PySide6' not in sys.modules, 'serve imported Qt'\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_python_m_desktop_version() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"sse-chat {__version__}"


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What `main` would open the window with (nothing is opened, no log file written)."""
    configs: list[object] = []

    def run(config: object) -> int:
        configs.append(config)
        return 0

    monkeypatch.setattr("desktop.app.run", run)
    monkeypatch.setattr("desktop.logfile.install_file_log", lambda *args: None)
    monkeypatch.setattr("desktop.logfile.configure_console", lambda level: None)
    monkeypatch.delenv("SSE_CHAT_TOKEN", raising=False)
    return configs


def test_connect_takes_the_token_off_the_command_line(
    launched: list[object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 11, item 8: `$SSE_CHAT_TOKEN` or `--token-file`; `--token` warns."""
    url = "http://127.0.0.1:8000"
    monkeypatch.setenv("SSE_CHAT_TOKEN", "from-env")
    assert main(["--connect", url]) == 0
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    secret.chmod(0o600)
    assert main(["--connect", url, "--token-file", str(secret)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["--connect", url, "--token", "from-flag"]) == 0
    assert "--token is visible to other users" in capsys.readouterr().err
    tokens = [getattr(config, "token", None) for config in launched]
    assert tokens == ["from-env", "from-file", "from-flag"]
    for argv in (["--token-file", str(secret)], ["--connect", url, "--token-file", "/nope"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_window_starts_without_the_http_client_and_the_keyring() -> None:
    """`requests` and `keyring` (with what they pull in) were about a quarter of the CPU
    the app spent importing itself before its first paint; they are needed only once the
    backend is up (the client, the stream workers) or a key is read or stored."""
    code = (
        "import sys, desktop.app\n"
        "names = ('requests', 'urllib3', 'requests_sse', 'keyring')\n"
        "late = [m for m in names if m in sys.modules]\n"
        "assert not late, late\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
