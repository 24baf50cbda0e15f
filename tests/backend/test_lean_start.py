"""The backend on the echo starts without the OpenAI client's libraries (httpx with
httpcore: about 40 ms of start-up CPU); they are imported when an OpenAI-compatible server
is first used (a responder, a connection check, a model list)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODE = """
import sys, tempfile, urllib.request
from pathlib import Path
from backend.config import Settings
from backend.embedded import EmbeddedServer

server = EmbeddedServer(Settings(data_dir=Path(tempfile.mkdtemp())))
server.start()
try:
    request = urllib.request.Request(
        server.base_url + "/api/conversations",
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert urllib.request.urlopen(request, timeout=10).status == 200
    late = [name for name in ("httpx", "httpcore", "httpx_sse") if name in sys.modules]
    assert not late, late
finally:
    server.stop()
"""


def test_the_echo_backend_starts_without_httpx() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", CODE], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
