"""A real llama.cpp `llama-server` on loopback, and readers for what it and the app stream.

The binary, the random-weight model and the reasoning template are built once per machine
by `scripts/llama_server.py` (`.ci/run` runs it before the tests); `LlamaServer` starts the
binary on a free port of 127.0.0.1, waits for `/health`, and stops it with SIGTERM (SIGKILL
only if it does not exit).
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

import llama_server  # noqa: E402  (scripts/llama_server.py)

#: Seconds llama-server may take to load the model and answer /health with 200.
START_TIMEOUT = 60.0
#: Seconds one request to llama-server (or to the app) may take.
REQUEST_TIMEOUT = 30.0
#: The model name the app is set up with (llama-server serves its one model under any name).
MODEL = "tiny-random"
#: Tokens per reply on the short server, and how many of them may be reasoning.
N_PREDICT = 64
REASONING_BUDGET = 24
#: What the tests ask.
QUESTION = "Why is the sky blue?"
FOLLOW_UP = "And why is it red at sunset?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def built_paths() -> llama_server.LlamaPaths:
    """The built files, or a test failure that says how to build them (never a skip)."""
    import pytest

    found = llama_server.paths()
    if not found.ready():
        pytest.fail(
            "llama.cpp's llama-server and its test model are not built "
            f"(missing: {', '.join(found.missing())}). Build them once per machine with "
            "`python3 scripts/llama_server.py` (about 8 minutes on 2 idle cores; "
            "`.ci/run` does it before the tests).",
            pytrace=False,
        )
    return found


@dataclass
class LlamaServer:
    """One llama-server process: `n_predict` tokens per reply by default (-1: until the
    context is full), `reasoning_budget` of them at most as reasoning (then llama.cpp
    closes the `<think>` block itself and the rest is the answer)."""

    paths: llama_server.LlamaPaths
    log_path: Path
    n_predict: int
    reasoning_budget: int = -1
    ctx_size: int = 2048
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def v1(self) -> str:
        """The OpenAI-compatible base URL, as a user would type it into the app."""
        return f"{self.base_url}/v1"

    def command(self) -> list[str]:
        p = self.paths
        return [
            str(p.binary),
            "--model", str(p.model),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--ctx-size", str(self.ctx_size),
            "--parallel", "1",  # one slot: /slots tells about the one request there is
            "--threads", "1",
            "--threads-batch", "1",
            "--n-predict", str(self.n_predict),
            "--jinja",
            "--chat-template-file", str(p.template),
            "--reasoning-format", "deepseek",  # thinking as `reasoning_content`
            "--reasoning-budget", str(self.reasoning_budget),
            "--no-cache-prompt",  # every request computes its prompt afresh: same numbers
            "--slots",
            "--no-webui",
            "--no-warmup",
            "--seed", "42",
        ]  # fmt: skip

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"llama-server exited with {self.process.returncode} at start-up:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            if time.monotonic() >= deadline:
                self.stop()
                raise AssertionError(
                    f"llama-server did not answer /health in {START_TIMEOUT:g} s:\n"
                    + self.log_tail()
                )
            time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def slots(self) -> list[dict[str, Any]]:
        """`GET /slots`: each slot's state (`is_processing`, its last task's token counts)."""
        response = requests.get(f"{self.base_url}/slots", timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, response.text
        return list(response.json())

    def idle(self) -> bool:
        return not any(slot["is_processing"] for slot in self.slots())

    def generating(self) -> dict[str, Any] | None:
        """The slot generating a reply (processing, tokens decoded), if there is one."""
        for slot in self.slots():
            if slot["is_processing"] and slot["next_token"][0]["n_decoded"] > 0:
                return slot
        return None


@dataclass
class Streamed:
    """What one streamed chat completion carried, put together."""

    reasoning: str = ""
    content: str = ""
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    chunks: int = 0


def sse_data(lines: Iterator[bytes]) -> Iterator[str]:
    """The `data:` payloads of an OpenAI-style event stream, up to `[DONE]`."""
    for raw in lines:
        line = raw.decode("utf-8")  # not requests' guess: ISO-8859-1 for text/* without a charset
        if line.startswith("data:"):
            data = line[5:].strip()
            if data == "[DONE]":
                return
            yield data


def read_completion(response: requests.Response) -> Streamed:
    """Put together a streamed `chat.completion.chunk` answer (llama.cpp's or the app's /v1)."""
    assert response.status_code == 200, response.text
    out = Streamed()
    for data in sse_data(response.iter_lines()):
        chunk = json.loads(data)
        out.chunks += 1
        if chunk.get("usage"):
            out.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            out.reasoning += delta.get("reasoning_content") or ""
            out.content += delta.get("content") or ""
            if choice.get("finish_reason"):
                out.finish_reason = choice["finish_reason"]
    return out


def chat_direct(
    server: LlamaServer, messages: Sequence[dict[str, str]], **options: Any
) -> Streamed:
    """The same kind of request the app sends, straight to llama-server, with usage asked for."""
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": list(messages),
        "stream": True,
        "temperature": 0,
        "stream_options": {"include_usage": True},
    }
    body.update(options)
    with requests.post(
        f"{server.v1}/chat/completions", json=body, stream=True, timeout=REQUEST_TIMEOUT
    ) as response:
        return read_completion(response)


@dataclass
class Followed:
    """A reply's event stream from the app: reasoning and answer text as sent, and the end."""

    reasoning: str = ""
    text: str = ""
    outcome: str = ""
    message: dict[str, Any] = field(default_factory=dict)
    last_id: int = 0


def follow(api: Any, reply_id: str, *, until_text: bool = False) -> Followed:
    """Read `GET /api/messages/{id}/events` to `end`/`error` (or, with `until_text`, only
    until the first `reasoning` or `delta` event has arrived)."""
    out = Followed()
    event, data = "message", ""
    deadline = time.monotonic() + REQUEST_TIMEOUT
    with api.get(
        f"/api/messages/{reply_id}/events", stream=True, timeout=REQUEST_TIMEOUT
    ) as response:
        assert response.status_code == 200, response.text
        for raw in response.iter_lines():
            assert time.monotonic() < deadline, "the reply did not finish in time"
            line = raw.decode("utf-8")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
            elif line.startswith("id:"):
                out.last_id = int(line[3:].strip())
            elif not line and data:
                payload = json.loads(data)
                if event == "reasoning":
                    out.reasoning += payload["text"]
                elif event == "delta":
                    out.text += payload["text"]
                elif event in ("end", "error"):
                    out.outcome, out.message = event, payload["message"]
                    return out
                if until_text and (out.reasoning or out.text):
                    return out
                event, data = "message", ""
    return out


def conversation(api: Any) -> str:
    """A new conversation's id."""
    response = api.post("/api/conversations", json={})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def stored_messages(api: Any, cid: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/conversations/{cid}")
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])
