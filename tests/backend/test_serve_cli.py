"""`sse-chat serve` (backend.cli.serve_main)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from backend.cli import banner, build_parser, provider_from, serve_main
from backend.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_no_auth_is_refused_off_loopback(capsys: object) -> None:
    assert serve_main(["--no-auth", "--host", "0.0.0.0"]) == 2


def test_serve_prints_a_url_with_the_token_once_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "--port", "0", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = ""
        while "token=" not in line:
            line = process.stdout.readline()
            assert line, "no URL printed"
        match = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=(\S+)", line)
        assert match is not None
        base, token = match.group(1), match.group(2)
        assert requests.get(base, params={"token": token}, timeout=5).status_code == 200
        api = base + "api/conversations"
        assert requests.get(api, params={"token": token}, timeout=5).status_code == 200
        assert requests.get(api, timeout=5).status_code == 401
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert token not in err and token not in out
    assert "token=[redacted]" in err
    assert (tmp_path / "chat.sqlite3").exists()


def test_in_a_terminal_the_banner_sets_the_token_for_a_shell() -> None:
    settings = Settings(token="tok-en_123", data_dir=Path("/tmp/x"))
    lines = banner(settings, 8000, shell_line=True).splitlines()
    assert "export SSE_CHAT_TOKEN=tok-en_123" in lines
    assert lines.index("export SSE_CHAT_TOKEN=tok-en_123") < lines.index(
        "Open: http://127.0.0.1:8000/?token=tok-en_123"
    )
    odd = banner(Settings(token="a b'c", data_dir=Path("/tmp/x")), 8000, shell_line=True)
    assert "export SSE_CHAT_TOKEN='a b'\"'\"'c'" in odd  # quoted for the shell
    # not a terminal (a log file, a supervisor): the token once, in the address
    piped = banner(settings, 8000)
    assert piped.count("tok-en_123") == 1 and "export" not in piped
    unauthenticated = banner(Settings(auth=False, data_dir=Path("/tmp/x")), 8000, shell_line=True)
    assert "export" not in unauthenticated


def parse(argv: list[str]) -> tuple[str, str]:
    parser = build_parser()
    args = parser.parse_args(argv)
    provider = provider_from(args, parser, "")
    return provider.provider, provider.model


def test_model_or_base_url_imply_the_openai_provider(capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--base-url", "http://localhost:11434/v1"]
    assert parse(["--model", "llama3", *url]) == ("openai", "llama3")
    assert "--model and --base-url imply --provider openai" in capsys.readouterr().err
    assert parse([]) == ("echo", "")
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit) as exit_info:
        parse(["--model", "llama3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--model implies --provider openai" in err
    assert "--provider openai needs --base-url (e.g. --base-url http://localhost:11434/v1" in err
    assert parse(["--provider", "echo", "--model", "llama3"]) == ("echo", "llama3")
    assert "warning: --model is ignored with --provider echo" in capsys.readouterr().err


def test_log_level_takes_any_case_and_data_dir_says_dir(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["--log-level", "WARNING"]).log_level == "warning"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--log-level", "loud"])
    assert "invalid choice" in capsys.readouterr().err
    assert "--data-dir DIR" in build_parser().format_help()


# -- the token off the command line (issue 11, item 8) -------------------------------------

TOKEN = "env-T0ken-" + "x" * 30


def _serve(tmp_path: Path, *flags: str, env_token: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SSE_CHAT_TOKEN", None)
    if env_token is not None:
        env["SSE_CHAT_TOKEN"] = env_token
    return subprocess.Popen(
        [sys.executable, "-m", "backend", "--port", "0", "--data-dir", str(tmp_path), *flags],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _banner_token_and_stop(process: subprocess.Popen[str]) -> tuple[str, str, str]:
    """The token the banner shows (checked to work, and absent from the process's command
    line), and the process's stderr, after a clean Ctrl+C."""
    try:
        assert process.stdout is not None
        line = ""
        while "token=" not in line:
            line = process.stdout.readline()
            assert line, f"no URL printed: {process.communicate(timeout=10)}"
        match = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=(\S+)", line)
        assert match is not None
        base, token = match.group(1), match.group(2)
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{base}api/conversations", headers=headers, timeout=5).ok
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    return token, cmdline, err


def test_the_token_comes_from_the_environment(tmp_path: Path) -> None:
    token, cmdline, err = _banner_token_and_stop(_serve(tmp_path, env_token=TOKEN))
    assert token == TOKEN and TOKEN not in cmdline
    assert "visible" not in err and TOKEN not in err


def test_the_token_comes_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text(f"{TOKEN}\n")
    secret.chmod(0o600)
    process = _serve(tmp_path, "--token-file", str(secret), env_token="ignored-" + "y" * 30)
    token, cmdline, err = _banner_token_and_stop(process)
    assert token == TOKEN and TOKEN not in cmdline  # the file wins over the environment
    assert "warning" not in err.lower() and TOKEN not in err


def test_token_on_the_command_line_still_works_but_warns(tmp_path: Path) -> None:
    token, cmdline, err = _banner_token_and_stop(_serve(tmp_path, "--token", TOKEN))
    assert token == TOKEN and TOKEN in cmdline
    assert "--token is visible to other users" in err and "SSE_CHAT_TOKEN" in err
    assert TOKEN not in err


def test_bad_token_files_are_refused_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    cases = [
        (["--token-file", str(tmp_path / "missing")], "cannot read the token file"),
        (["--token-file", str(empty)], "is empty"),
        (["--token-file", str(empty), "--token", "x"], "not both"),
    ]
    for argv, reason in cases:
        with pytest.raises(SystemExit) as info:
            serve_main([*argv, "--data-dir", str(tmp_path / "d")])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert reason in err and "Traceback" not in err, err


def test_a_token_file_others_can_read_is_used_with_a_warning(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text(TOKEN)
    secret.chmod(0o644)
    token, _, err = _banner_token_and_stop(_serve(tmp_path, "--token-file", str(secret)))
    assert token == TOKEN
    assert "other users can read" in err and TOKEN not in err


def test_reply_limits_from_the_command_line() -> None:
    """Issue 11, item 4: `--max-reply-chars` (default 1,000,000) and `--max-tokens`."""
    from backend.cli import build_parser, settings_from

    parser = build_parser()
    default = settings_from(parser.parse_args([]))
    assert (default.max_reply_chars, default.max_tokens) == (1_000_000, None)
    given = settings_from(parser.parse_args(["--max-reply-chars", "5000", "--max-tokens", "64"]))
    assert (given.max_reply_chars, given.max_tokens) == (5000, 64)
    for bad in (["--max-reply-chars", "0"], ["--max-tokens", "x"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
