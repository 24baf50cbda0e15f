"""`python -m backend --provider openai ...` as a real process, the key from SSE_CHAT_API_KEY."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from backend.cli import serve_main
from tests.support.fake_openai import DEADLINE, Upstream
from tests.support.provider_helpers import KEY, Api

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"Open: (http://127\.0\.0\.1:\d+)/\?token=(\S+)")


class Process:
    """A child process whose stdout and stderr are drained by threads (nothing blocks)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "backend", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._readers = [
            threading.Thread(target=self._drain, args=(self.popen.stdout, self.out), daemon=True),
            threading.Thread(target=self._drain, args=(self.popen.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _drain(self, stream: IO[str], into: list[str]) -> None:
        for line in stream:
            into.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        end = time.monotonic() + DEADLINE
        while (left := end - time.monotonic()) > 0:
            try:
                match = pattern.search(self.lines.get(timeout=left))
            except queue.Empty:
                break
            if match is not None:
                return match
        raise AssertionError(f"no line matching {pattern.pattern!r}:\n{self.output}")

    @property
    def output(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait(DEADLINE)
        for reader in self._readers:
            reader.join(DEADLINE)
        return code


@contextmanager
def backend_process(args: list[str], env: dict[str, str]) -> Iterator[Process]:
    process = Process(args, env)
    try:
        yield process
    finally:
        process.stop()


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SSE_CHAT_API_KEY"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_serve_with_an_openai_upstream_never_shows_the_key(
    tmp_path: Path, upstream: Upstream
) -> None:
    args = [
        "--port", "0",
        "--data-dir", str(tmp_path),
        "--log-level", "debug",
        "--provider", "openai",
        "--base-url", upstream.base_url,
        "--model", "qwen2.5:7b",
        "--system-prompt", "You are terse.",
        "--temperature", "0.2",
    ]  # fmt: skip
    with backend_process(args, child_env(SSE_CHAT_API_KEY=KEY)) as process:
        base_url, token = process.wait_for(URL).groups()
        api = Api(base_url, token)
        settings = api.get("/api/settings").json()
        assert settings == {
            "provider": "openai",
            "base_url": upstream.base_url,
            "model": "qwen2.5:7b",
            "system_prompt": "You are terse.",
            "temperature": 0.2,
            "echo_delay": 0.05,
            "auto_title": True,
            "api_key_set": True,
        }
        reply = api.turn(api.conversation(), "hello")
        assert reply.outcome == "end" and reply.text == "Hello, world!"
        assert (reply.message["provider"], reply.message["model"]) == (
            "openai-compatible",
            "qwen2.5:7b",
        )
        request = upstream.fake.last
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.body["messages"][0] == {"role": "system", "content": "You are terse."}
        assert request.body["temperature"] == 0.2
        code = process.stop()
    assert code == 0, process.output
    assert "Replies: OpenAI-compatible server" in process.output
    assert "upstream request: POST" in process.output  # debug logging was really on
    assert KEY not in process.output


def test_openai_without_model_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "backend", "--data-dir", str(tmp_path), "--provider", "openai",
         "--base-url", "http://127.0.0.1:9/v1"],
        cwd=ROOT,
        env=child_env(SSE_CHAT_API_KEY=KEY),
        capture_output=True,
        text=True,
        timeout=DEADLINE * 2,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--provider openai needs --model" in done.stderr
    assert KEY not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--provider", "openai", "--model", "m"], "--provider openai needs --base-url"),
        (["--provider", "openai"], "needs --base-url and --model"),
        (["--provider", "openai", "--base-url", "localhost:1/v1", "--model", "m"], "http://"),
        (["--temperature", "3"], "between 0 and 2"),
        (["--provider", "claude"], "invalid choice"),
    ],
)
def test_bad_provider_flags_exit_2(
    flags: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        serve_main(flags)
    assert exit_info.value.code == 2
    assert said in capsys.readouterr().err
