"""`sse-chat serve` (backend.cli.serve_main)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from backend.cli import serve_main

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
        assert requests.get(base, timeout=5).status_code == 401
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert token not in err and token not in out
    assert "token=[redacted]" in err
    assert (tmp_path / "chat.sqlite3").exists()
