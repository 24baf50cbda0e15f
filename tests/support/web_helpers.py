"""Helpers for the web page's tests: the browser's settings, an Origin-rewriting proxy, an SSE
reader for `GET /api/events`, and a driver for the page in Chromium (Playwright)."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
from collections.abc import Iterator
from typing import Any

from playwright.sync_api import Page, Request

from tests.support.tcp_proxy import LoopbackProxy, shut
from tests.support.waiting import wait_until

#: Debian's Chromium (`apt-get install chromium`; .ci/run installs it).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # a name that resolves to this machine, for the DNS-rebinding test
    "--host-resolver-rules=MAP rebind.test 127.0.0.1",
]
WAIT_MS = 15_000

#: Installed into every page before its own scripts: CSP violations are recorded.
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || ""));
});
"""


class OriginProxy(LoopbackProxy):
    """A loopback proxy that rewrites `Host` and `Origin` to the upstream's (so the page,
    loaded through the proxy, is still the server's own origin), and can cut every open
    connection (`drop()`). `event_requests` holds the start of each reply-stream request."""

    def __init__(self, upstream_port: int) -> None:
        self.event_requests: list[bytes] = []
        super().__init__(upstream_port)

    def rewrite_host(self, data: bytes) -> bytes:
        data = super().rewrite_host(data)
        old = f"Origin: http://127.0.0.1:{self.port}".encode()
        new = f"Origin: http://127.0.0.1:{self.upstream_port}".encode()
        return data.replace(old, new)

    def _handle(self, client: socket.socket, upstream: socket.socket) -> None:
        threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        try:
            self.relay(src, dst, rewrite=outbound, observe=self._observe if outbound else None)
        finally:
            shut(src, dst, close=False)

    def _observe(self, data: bytes) -> None:
        if data.startswith(b"GET /api/messages/") and b"/events" in data.split(b"\r\n", 1)[0]:
            with self._lock:
                self.event_requests.append(data[:2000])


class ChangeReader:
    """Reads `GET /api/events` on a thread; `next()` returns (event, id, data) in order.

    Plain `http.client` on a socket of its own, so `close()` can shut the socket and the
    reading thread ends at once.
    """

    def __init__(self, base_url: str, token: str, last_event_id: str | None = None) -> None:
        self.events: queue.Queue[tuple[str, str, dict[str, Any]]] = queue.Queue()
        port = int(base_url.rsplit(":", 1)[1].strip("/"))
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", "/api/events", headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.status
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event, event_id, data = "message", "", ""
        try:
            while True:
                line = self.response.readline()
                if not line:
                    break
                raw = line.decode("utf-8").rstrip("\n")
                if raw == "":
                    if data:
                        self.events.put((event, event_id, json.loads(data)))
                    event, event_id, data = "message", "", ""
                elif raw.startswith("event: "):
                    event = raw[7:]
                elif raw.startswith("id: "):
                    event_id = raw[4:]
                elif raw.startswith("data: "):
                    data = raw[6:]
        except Exception:  # closed by `close()`, or the server went away
            pass
        self.events.put(("<closed>", "", {}))

    def next(self, timeout: float = 10) -> tuple[str, str, dict[str, Any]]:
        return self.events.get(timeout=timeout)

    def until(self, kind: str, timeout: float = 10) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every event up to and including the first `kind` one."""
        while True:
            item = self.next(timeout)
            yield item
            if item[0] in (kind, "<closed>"):
                return

    def close(self) -> None:
        sock = self.conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()
        self.thread.join(5)


class WebPage:
    """The chat page in a Chromium tab, driven like a user would, with waits on conditions."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._record)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _record(self, request: Request) -> None:
        self.requests.append(request.url)

    def open(self, token: str | None, path: str = "/") -> None:
        where, _, fragment = path.partition("#")
        url = self.base_url + where + (f"?token={token}" if token is not None else "")
        self.page.goto(url + (f"#{fragment}" if fragment else ""))

    def wait_ready(self) -> None:
        self.page.wait_for_selector("#app[data-state=ready]", timeout=WAIT_MS)

    def send(self, text: str) -> None:
        self.page.fill("#input", text)
        self.page.press("#input", "Enter")

    def assistant(self, index: int = -1) -> Any:
        return self.page.locator(".msg-assistant").nth(index)

    def wait_replies(self, count: int, *, status: str = "complete") -> None:
        """Wait until `count` replies are shown and the last one has `status`."""
        self.page.wait_for_function(
            """([count, status]) => {
                const replies = document.querySelectorAll(".msg-assistant");
                return replies.length === count && replies[count - 1].dataset.status === status;
            }""",
            arg=[count, status],
            timeout=WAIT_MS,
        )

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("() => window.__csp"))

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.base_url + "/")]


def wait_for(predicate: Any, what: str, timeout: float = 10) -> Any:
    return wait_until(predicate, timeout=timeout, what=what)
