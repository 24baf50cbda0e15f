"""An upstream that never stops: what it costs the backend (issue 11, item 4).

    .venv/bin/python bench/endless_reply.py [--seconds 10] [--src DIR]

Starts `python -m backend` (from `--src`, default this checkout) with an OpenAI-compatible
provider pointing at a loopback upstream that streams 10 KB chunks forever, sends one
message, and after the reply ends (or `--seconds`) prints the server's peak RSS, the size of
the database + WAL, the reply's length and the size of `GET /api/conversations/{cid}`.
Printed figures only, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import requests
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
PIECE = "loop " * 2000  # 10 KB of text per event


async def chat(request: Request) -> StreamingResponse:
    chunk = {"choices": [{"index": 0, "delta": {"content": PIECE}, "finish_reason": None}]}
    event = f"data: {json.dumps(chunk)}\n\n"

    async def body() -> AsyncIterator[str]:
        while True:
            yield event
            await asyncio.sleep(0)

    return StreamingResponse(body(), media_type="text/event-stream")


def start_upstream() -> tuple[uvicorn.Server, int]:
    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, int(server.servers[0].sockets[0].getsockname()[1])


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--src", type=Path, default=ROOT)
    args = parser.parse_args()
    upstream, port = start_upstream()
    data = Path(tempfile.mkdtemp(prefix="endless-"))
    token = "bench-" + "t" * 30
    env = {**os.environ, "PYTHONPATH": str(args.src), "SSE_CHAT_TOKEN": token}
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend", "--port", "0", "--data-dir", str(data), "--token",
         token, "--provider", "openai", "--base-url", f"http://127.0.0.1:{port}/v1",
         "--model", "loop", "--log-level", "warning"],
        cwd=args.src, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = ""
        while "http://" not in line:
            line = proc.stdout.readline()
        base = re.search(r"(http://127\.0\.0\.1:\d+)/", line).group(1)  # type: ignore[union-attr]
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        cid = api.post(f"{base}/api/conversations", json={}).json()["id"]
        started = time.monotonic()
        turn = api.post(f"{base}/api/conversations/{cid}/messages", json={"content": "go"})
        reply_id = turn.json()["reply"]["id"]
        status = "streaming"
        while time.monotonic() - started < args.seconds:
            time.sleep(0.5)
            messages = api.get(f"{base}/api/conversations/{cid}", timeout=60).json()["messages"]
            status = next(m["status"] for m in messages if m["id"] == reply_id)
            if status != "streaming":
                break
        elapsed = time.monotonic() - started
        rss = peak_rss_mib(proc.pid)
        api.post(f"{base}/api/messages/{reply_id}/cancel", timeout=60)
        got = api.get(f"{base}/api/conversations/{cid}", timeout=120)
        reply = next(m for m in got.json()["messages"] if m["id"] == reply_id)
        files = sum(p.stat().st_size for p in data.glob("chat.sqlite3*") if p.is_file())
        print(f"source {args.src}")
        print(f"after {elapsed:.1f} s the reply was {status}: {len(reply['content']):,} chars")
        print(f"server peak RSS {rss:.0f} MiB; database + WAL {files / 2**20:.1f} MiB")
        print(f"GET conversation {len(got.content) / 2**20:.1f} MiB")
        api.delete(f"{base}/api/conversations/{cid}", timeout=60)
        files = sum(p.stat().st_size for p in data.glob("chat.sqlite3*") if p.is_file())
        print(f"after deleting it: database + WAL {files / 2**20:.1f} MiB")
    finally:
        proc.terminate()
        proc.wait(30)
        upstream.should_exit = True


if __name__ == "__main__":
    main()
