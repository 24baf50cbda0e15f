"""A hostile server on loopback: every answer is an error whose message is text of its choice.

It plays an OpenAI-compatible upstream (`/v1/models` answers 500, `/v1/chat/completions`
400, both `{"error": {"message": text}}`) and a backend for `--connect` (anything else
answers 500 `{"detail": text}`), so a test can put HTML where the window shows what a
server said. `paths` lists what was asked for.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class HostileServer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.paths.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body: dict[str, object]
                if self.path.startswith("/v1/chat/"):
                    status, body = 400, {"error": {"message": owner.text}}
                elif self.path.startswith("/v1/"):
                    status, body = 500, {"error": {"message": owner.text}}
                else:
                    status, body = 500, {"detail": owner.text}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="hostile-server", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
