"""Hostile text in Chromium: nothing a reply, a message or a title holds runs or fetches
anything, and another origin's page cannot read the API (PROTOCOL.md sections 1 and 12)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from backend.embedded import EmbeddedServer
from tests.support.web_helpers import WAIT_MS, WebPage

HOSTILE = """Look: <img src=x onerror="window.__pwned='img'"> and
<script>window.__pwned='script'</script>
<svg onload="window.__pwned='svg'"></svg><iframe src="javascript:window.__pwned='frame'"></iframe>
[click me](javascript:window.__pwned='link') and <a href="javascript:window.__pwned='a'">this</a>
![remote](http://203.0.113.9/track.png) ![data](data:image/png;base64,iVBORw0KGgo=)
<style>body{background:url(http://203.0.113.9/bg.png)}</style>
<form action="http://203.0.113.9/"><button>go</button></form>
[ok link](https://example.org/)
$\\href{javascript:alert(1)}{x}$ and $\\url{javascript:alert(1)}$
"""


def test_a_hostile_reply_runs_nothing_and_fetches_nothing(web: WebPage, api: Any) -> None:
    page = web.page
    hostile_title = "<img src=x onerror=\"window.__pwned='title'\">"
    conv = api.post("/api/conversations", json={"title": hostile_title}).json()
    page.goto(f"{web.base_url}/#{conv['id']}")
    web.wait_ready()
    page.wait_for_function("(cid) => window.sseChat?.current?.id === cid", arg=conv["id"])
    web.send(HOSTILE)
    web.wait_replies(1)
    reply = web.assistant()
    reply.locator(".katex").first.wait_for(timeout=WAIT_MS)
    # clicking the neutralised links does nothing either
    for link in reply.locator("a:not([href])").all():
        link.click()

    assert page.evaluate("() => window.__pwned") is None
    body = reply.locator(".content")
    for selector in ("img", "script", "svg:not(.katex *)", "iframe", "style", "form", "button"):
        assert body.locator(selector).count() == 0, selector
    hrefs = body.locator("a[href]").evaluate_all("(links) => links.map((a) => a.href)")
    assert {"http://203.0.113.9/track.png", "https://example.org/"} <= set(hrefs)
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs  # links, not loads
    text = body.inner_text()
    assert "<script>" in text and "onerror" in text  # shown as the text it is
    # the user's message and the title are plain text too
    assert page.inner_text(".msg-user .bubble").rstrip("\n") == HOSTILE.rstrip("\n")
    assert page.inner_text("#title") == hostile_title
    assert page.locator(".conversation.current a").inner_text() == hostile_title

    assert web.foreign_requests() == []
    assert web.csp_violations() == []  # nothing even tried: the sanitiser removed it first
    assert web.errors == []


def test_the_pages_policy_blocks_what_gets_past_everything_else(web: WebPage) -> None:
    """Second line of defence: even markup put into the page by a bug cannot run or load."""
    page = web.page
    page.evaluate(
        """() => {
        const box = document.createElement('div');
        box.innerHTML = '<img src="http://203.0.113.9/x.png" onerror="window.__pwned=1">';
        document.body.append(box);
        const script = document.createElement('script');
        script.textContent = 'window.__pwned = 2';
        document.body.append(script);
        const remote = document.createElement('script');
        remote.src = 'http://203.0.113.9/x.js';
        document.body.append(remote);
    }"""
    )
    page.wait_for_function("() => window.__csp.length >= 3")
    assert page.evaluate("() => window.__pwned") is None
    violations = web.csp_violations()
    assert any(v.startswith("img-src") for v in violations), violations
    assert any(v.startswith("script-src") for v in violations), violations


@pytest.fixture
def foreign_site() -> Iterator[str]:
    """A page on another origin (another port of 127.0.0.1) that tries to use the API."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = b"<!doctype html><title>elsewhere</title><p>another site</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_another_origins_page_cannot_read_anything(
    make_page: Any, server: EmbeddedServer, foreign_site: str, api: Any
) -> None:
    """Even with the token (stolen, guessed), a foreign page gets 403 and cannot read it."""
    page: WebPage = make_page(foreign_site)
    before = len(api.get("/api/conversations").json())
    page.page.goto(foreign_site + "/")
    target = server.base_url
    token = server.token
    result = page.page.evaluate(
        """async ([target, token]) => {
        const out = {};
        for (const [name, init] of [
            ["list", {headers: {Authorization: `Bearer ${token}`}}],
            ["create", {method: "POST", headers: {"Content-Type": "application/json"},
                        body: "{}"}],
        ]) {
            try {
                const r = await fetch(`${target}/api/conversations?token=${token}`, init);
                out[name] = "read " + r.status + " " + (await r.text());
            } catch (e) { out[name] = "blocked"; }
        }
        try {
            const r = await fetch(`${target}/api/conversations?token=${token}`, {mode: "no-cors"});
            out.opaque = r.type + " " + (await r.text()).length;
        } catch (e) { out.opaque = "blocked"; }
        out.stream = await new Promise((resolve) => {
            const source = new EventSource(`${target}/api/events?token=${token}`);
            source.addEventListener("ready", () => { source.close(); resolve("read"); });
            source.onerror = () => { source.close(); resolve("blocked"); };
        });
        out.frame = await new Promise((resolve) => {
            const frame = document.createElement("iframe");
            frame.src = `${target}/`;
            frame.onload = () => {
                try { resolve("readable " + frame.contentDocument.title); }
                catch (e) { resolve("not readable"); }
            };
            document.body.append(frame);
        });
        return out;
    }""",
        [target, token],
    )
    assert result["list"] == "blocked"
    assert result["create"] == "blocked"
    assert result["opaque"] in ("opaque 0", "blocked")
    assert result["stream"] == "blocked"
    assert result["frame"] == "not readable"
    # the server itself refused them (the Origin guard), not only the browser's CORS check:
    # the POST, which a browser sends before it knows the answer, created nothing
    assert len(api.get("/api/conversations").json()) == before
    frame = next(f for f in page.page.frames if f.url.startswith(target) or "chrome-error" in f.url)
    assert "SSE Chat" not in frame.content()  # frame-ancestors 'none': the page never showed


def test_a_rebinding_name_gets_403_in_the_browser(make_page: Any, server: EmbeddedServer) -> None:
    """rebind.test resolves to 127.0.0.1 (the browser's resolver rules): the Host guard."""
    url = f"http://rebind.test:{server.port}"
    page: WebPage = make_page(url)
    response = page.page.goto(f"{url}/?token={server.token}")
    assert response is not None and response.status == 403
    assert "Forbidden host" in page.page.content()
    statuses = page.page.evaluate(
        """async (paths) => Promise.all(paths.map(async (p) => (await fetch(p)).status))""",
        ["/app/main.js", f"/api/conversations?token={server.token}"],
    )
    assert statuses == [403, 403]  # a same-"origin" page of the rebinding name gets nothing
