"""Turns in Chromium: a cut connection resumed with nothing lost or doubled, Stop,
Regenerate, Edit, and the branch switcher (PROTOCOL.md section 7, when the backend has it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backend.embedded import EmbeddedServer
from tests.support.http_client import TokenApi
from tests.support.web_helpers import WAIT_MS, OriginProxy, WebPage, wait_for

#: A reply of 250 characters with multi-byte ones: 2.5 s at 10 ms a character.
LONG = ("Streaming résumé 日本語 👋🏽 data: x\n" * 12)[:250]

RECORD_TEXT = """() => {
    window.__texts = [];
    new MutationObserver(() => {
        const body = document.querySelector('.msg-assistant .md.body');
        if (body) window.__texts.push(body.textContent);
    }).observe(document.querySelector('#messages'),
               {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture
def proxy(slow_server: EmbeddedServer) -> Iterator[OriginProxy]:
    proxy = OriginProxy(slow_server.port)
    try:
        yield proxy
    finally:
        proxy.close()


def rendered(text: str) -> str:
    """What the page shows of `text` as Markdown: its lines, as one paragraph."""
    return text.strip()


def test_a_cut_connection_resumes_with_nothing_lost_or_doubled(
    make_page: Any, slow_server: EmbeddedServer, proxy: OriginProxy
) -> None:
    page: WebPage = make_page(proxy.url)
    page.open(slow_server.token)
    page.wait_ready()
    page.page.evaluate(RECORD_TEXT)
    page.send(LONG)
    page.page.wait_for_function(
        "() => (document.querySelector('.msg-assistant .md.body')?.textContent.length || 0) > 60",
        timeout=WAIT_MS,
    )
    proxy.drop()  # every connection: the reply's stream, the change stream, keep-alives
    page.wait_replies(1)
    final = page.assistant().locator(".md.body").text_content() or ""
    texts: list[str] = page.page.evaluate("() => window.__texts")
    expected = LONG.replace("\n", " ").strip()
    normalise = " ".join
    assert normalise(final.split()) == normalise(expected.split())
    for text in texts:  # every state shown was a prefix: nothing doubled, nothing skipped
        assert normalise(expected.split()).startswith(normalise(text.split())), text
    reconnects = [r for r in proxy.event_requests if b"Last-Event-ID:" in r]
    assert len(proxy.event_requests) >= 2 and reconnects, proxy.event_requests
    last_id = int(reconnects[0].split(b"Last-Event-ID: ")[1].split(b"\r\n")[0])
    assert 30 < last_id < len(LONG)  # resumed from where it stopped (code points), not 0
    assert page.foreign_requests() == []


def test_stop_keeps_the_partial_reply_and_regenerate_replaces_it(
    make_page: Any, slow_server: EmbeddedServer
) -> None:
    api = TokenApi(slow_server.base_url, slow_server.token)
    page: WebPage = make_page(slow_server.base_url)
    page.open(slow_server.token)
    page.wait_ready()
    page.send(LONG)
    page.page.wait_for_function(
        "() => (document.querySelector('.msg-assistant .md.body')?.textContent.length || 0) > 20"
    )
    page.page.keyboard.press("Escape")
    page.wait_replies(1, status="cancelled")
    reply = page.assistant()
    assert reply.locator(".note").inner_text() == "Stopped"
    partial = reply.locator(".md.body").text_content() or ""
    assert 20 <= len(partial) < len(LONG)
    cid = page.page.evaluate("() => window.sseChat.current.id")
    stored = api.get(f"/api/conversations/{cid}").json()["messages"]
    assert stored[-1]["status"] == "cancelled"

    old_id = stored[-1]["id"]
    reply.hover()
    reply.locator("button[aria-label=Regenerate]").click()
    page.page.wait_for_function(
        "(old) => { const r = document.querySelectorAll('.msg-assistant');"
        " return r.length === 1 && r[0].dataset.id !== old"
        " && r[0].dataset.status === 'streaming'; }",
        arg=old_id,
    )
    # Enter while a reply streams sends nothing and keeps the draft; the button is Stop
    page.page.fill("#input", "next one")
    page.page.press("#input", "Enter")
    assert page.page.input_value("#input") == "next one"
    assert page.page.get_attribute("#send", "aria-label") == "Stop"
    page.page.click("#send")
    page.wait_replies(1, status="cancelled")
    assert page.assistant().get_attribute("data-id") != old_id
    page.page.press("#input", "Enter")  # now it sends
    wait_for(lambda: page.page.locator(".msg-user").count() == 2, "the second message")
    page.wait_replies(2)
    assert page.page.input_value("#input") == ""


def test_edit_sends_again_and_the_switcher_moves_between_versions(web: WebPage, api: Any) -> None:
    page = web.page
    web.send("first version")
    web.wait_replies(1)
    user = page.locator(".msg-user").first
    user.hover()
    user.locator("button[aria-label^=Edit]").click()
    box = user.locator("textarea")
    box.fill("second version")
    box.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.msg-user .bubble')?.textContent === 'second version'"
        " && document.querySelector('.msg-assistant')?.dataset.status === 'complete'"
        " && document.querySelector('.msg-assistant .md.body')?.textContent.trim()"
        " === 'second version'"
    )
    cid = page.evaluate("() => window.sseChat.current.id")
    stored = api.get(f"/api/conversations/{cid}").json()
    if "head_id" not in stored:
        # A backend without branches (before PROTOCOL.md section 7): the edit replaced the
        # message, and the page shows no switcher and offers none.
        assert [m["content"] for m in stored["messages"]] == ["second version"] * 2
        assert page.locator(".branches").count() == 0
        assert page.evaluate("() => window.sseChat.features.tree") is False
        return
    # Branches: the first version is kept beside the new one, `‹ 2/2 ›`.
    switcher = page.locator(".msg-user .branches")
    assert switcher.locator(".branch-label").inner_text() == "2/2"
    switcher.locator("button[aria-label='Previous version']").click()
    page.wait_for_function(
        "() => document.querySelector('.msg-user .bubble')?.textContent === 'first version'"
    )
    assert page.locator(".msg-user .branch-label").inner_text() == "1/2"
    assert (page.locator(".msg-assistant .md.body").text_content() or "").strip() == (
        "first version"
    )
    head = api.get(f"/api/conversations/{cid}").json()
    assert [m["content"] for m in head["messages"]] == ["first version"] * 2

    reply = page.locator(".msg-assistant").first
    reply.hover()
    reply.locator("button[aria-label=Regenerate]").click()
    page.wait_for_function(
        "() => document.querySelector('.msg-assistant .branch-label')?.textContent === '2/2'"
        " && document.querySelector('.msg-assistant').dataset.status === 'complete'"
    )
    page.locator(".msg-assistant button[aria-label='Previous version']").click()
    page.wait_for_function(
        "() => document.querySelector('.msg-assistant .branch-label')?.textContent === '1/2'"
    )
