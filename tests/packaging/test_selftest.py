"""`sse-chat --self-test` end to end, in a subprocess (the way CI runs the frozen app)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from desktop.logfile import log_path

TIMEOUT = 90


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def verdict(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stdout.splitlines() if line.startswith("self-test:")]
    assert len(lines) == 1, (done.stdout, done.stderr)
    return lines[0]


def test_self_test_passes_and_prints_the_verdict(
    sse_chat: list[str], child_env: dict[str, str]
) -> None:
    done = run([*sse_chat, "--self-test"], child_env)
    line = verdict(done)
    assert done.returncode == 0, (line, done.stderr)
    assert line.startswith(
        "self-test: ok (python, Qt platform offscreen, backend http://127.0.0.1:"
    )
    assert "propagateSizeHints" not in done.stderr  # the offscreen platform's noise is dropped


def test_self_test_in_a_given_data_dir_keeps_history_and_a_clean_log(
    sse_chat: list[str], child_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    done = run([*sse_chat, "--self-test", "--data-dir", str(data)], child_env)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert (data / "chat.sqlite3").exists()
    text = log_path(data).read_text(encoding="utf-8")
    assert "Application startup complete" in text
    assert "Bearer" not in text and "token=" not in text


def test_self_test_fails_readably_on_an_unusable_data_dir(
    sse_chat: list[str], child_env: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run([*sse_chat, "--self-test", "--data-dir", str(blocker / "data")], child_env)
    line = verdict(done)
    assert done.returncode == 1
    assert line.startswith("self-test: FAILED: the backend did not start:")
    assert str(blocker / "data") in line and "Not a directory" in line


def test_self_test_refuses_connect(sse_chat: list[str], child_env: dict[str, str]) -> None:
    done = run([*sse_chat, "--self-test", "--connect", "http://127.0.0.1:9"], child_env)
    assert done.returncode == 2
    assert "--self-test starts its own backend" in done.stderr


def test_startup_probe_prints_timestamps_and_quits(
    sse_chat: list[str], child_env: dict[str, str], tmp_path: Path
) -> None:
    env = dict(child_env, SSE_CHAT_STARTUP_PROBE="1")
    done = run([*sse_chat, "--data-dir", str(tmp_path / "data")], env)
    assert done.returncode == 0, done.stderr
    probe = dict(
        line.removeprefix("startup-probe: ").split("=", 1)
        for line in done.stdout.splitlines()
        if line.startswith("startup-probe: ")
    )
    assert set(probe) == {
        "window_shown",
        "window_shown_cpu",
        "backend_ready",
        "backend_ready_cpu",
        "idle_rss_kb",
        "gc_enabled",
    }
    assert float(probe["window_shown"]) > 0 and float(probe["backend_ready"]) > 0
    assert 0 < float(probe["window_shown_cpu"]) <= float(probe["backend_ready_cpu"])
    assert int(probe["idle_rss_kb"]) > 0
    # collections were held off while the app imported itself, and run again after
    assert probe["gc_enabled"] == "True"
