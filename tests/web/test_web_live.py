"""Live across clients (`GET /api/events`), search, and reasoning, in Chromium."""

from __future__ import annotations

from typing import Any

from backend.embedded import EmbeddedServer
from tests.support.http_client import TokenApi
from tests.support.web_helpers import WAIT_MS, WebPage


def test_what_another_client_does_shows_up_live(
    make_page: Any, slow_server: EmbeddedServer
) -> None:
    """A reply started elsewhere (the desktop, curl) appears here and streams."""
    api = TokenApi(slow_server.base_url, slow_server.token)
    conv = api.post("/api/conversations", json={"title": "Shared"}).json()
    page: WebPage = make_page(slow_server.base_url)
    page.open(slow_server.token, path=f"/#{conv['id']}")
    page.wait_ready()
    page.page.wait_for_function("(cid) => window.sseChat?.current?.id === cid", arg=conv["id"])
    page.page.wait_for_function(
        "() => document.querySelector('#connection').dataset.state === 'online'"
    )

    text = "sent from another window " * 4
    turn = api.send(conv["id"], text)
    page.page.locator(
        f".msg-assistant[data-id='{turn['reply']['id']}'][data-status=streaming]"
    ).wait_for(timeout=WAIT_MS)
    assert page.page.inner_text(".msg-user .bubble").strip() == text.strip()
    page.wait_replies(1)
    body = page.assistant().locator(".md.body").text_content() or ""
    assert body.strip() == text.strip()

    other = api.post("/api/conversations", json={"title": "Made elsewhere"}).json()
    row = page.page.locator(f".conversation[data-id='{other['id']}']")
    row.wait_for(timeout=WAIT_MS)
    assert api.patch(f"/api/conversations/{other['id']}", json={"title": "Renamed elsewhere"}).ok
    page.page.wait_for_function(
        "(id) => document.querySelector(`.conversation[data-id='${id}'] a`)?.textContent"
        " === 'Renamed elsewhere'",
        arg=other["id"],
    )
    assert api.delete(f"/api/conversations/{conv['id']}").status_code == 204
    page.page.wait_for_function("() => document.querySelector('#title').textContent === 'New chat'")
    assert page.page.locator(f".conversation[data-id='{conv['id']}']").count() == 0
    assert page.errors == []


def test_search_finds_conversations_and_opens_the_hit(web: WebPage, api: Any) -> None:
    page = web.page
    zebra = api.post("/api/conversations", json={"title": "Notes about zebras"}).json()
    api.send(zebra["id"], "Stripes of the zebra")
    other = api.post("/api/conversations", json={"title": "Notes about lions"}).json()
    page.keyboard.press("Control+k")
    page.keyboard.type("zebra")
    results = page.locator("#search-results")
    results.locator(".hit").first.wait_for(timeout=WAIT_MS)
    found = results.locator(".hit").evaluate_all(
        "(hits) => hits.map((h) => h.dataset.conversation)"
    )
    assert zebra["id"] in found and other["id"] not in found
    assert results.locator("mark").first.inner_text().lower() == "zebra"
    full_text = page.evaluate("() => window.sseChat.features.search")
    assert full_text in (True, False)  # False: an older backend, titles only (and it says so)
    if not full_text:
        assert "Titles only" in results.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_function("(cid) => window.sseChat.current?.id === cid", arg=zebra["id"])
    page.locator(".msg-user").first.wait_for()
    page.keyboard.press("Control+k")
    page.keyboard.press("Escape")
    assert results.is_hidden()
    assert page.locator("#conversations").is_visible()


def test_reasoning_is_folded_under_thought_for(make_page: Any, slow_server: EmbeddedServer) -> None:
    """`<think>` at the start of a reply: folded apart from the answer (the backend's parts,
    PROTOCOL.md section 8, or the page's own split on a backend without them)."""
    page: WebPage = make_page(slow_server.base_url)
    page.open(slow_server.token)
    page.wait_ready()
    plan = "First I plan the answer carefully, step by step, checking each step twice. " * 2
    page.send(f"<think>{plan.strip()}</think>The **answer** is 42.")  # 1.5 s of reasoning
    summary = page.page.locator(".msg-assistant details.reasoning > summary")
    summary.wait_for(timeout=WAIT_MS)
    page.page.wait_for_function(
        "() => document.querySelector('.reasoning > summary')?.textContent.startsWith('Thinking')"
    )
    page.wait_replies(1)
    assert summary.inner_text().startswith("Thought for ")
    assert summary.inner_text().endswith(" s")
    body = page.assistant().locator(".md.body")
    assert (body.text_content() or "").strip() == "The answer is 42."
    assert body.locator("strong").inner_text() == "answer"
    details = page.page.locator(".msg-assistant details.reasoning")
    assert details.get_attribute("open") is None  # folded
    summary.click()
    reasoning = details.locator(".reasoning-body")
    reasoning.wait_for(state="visible", timeout=WAIT_MS)  # opening the fold is not instant
    assert reasoning.inner_text() == plan.strip()
    assert "<think>" not in (page.assistant().text_content() or "")


def test_a_conversations_model_and_system_prompt_from_the_header(web: WebPage, api: Any) -> None:
    """PROTOCOL.md section 11 where the backend has it; no such control where it has not."""
    page = web.page
    web.send("settings please")
    web.wait_replies(1)
    cid = page.evaluate("() => window.sseChat.current.id")
    chip = page.locator("#model-chip")
    if "model" not in api.get(f"/api/conversations/{cid}").json():
        assert chip.is_hidden()
        assert page.evaluate("() => window.sseChat.features.settings") is False
        return
    chip.click()
    dialog = page.locator("#dialog")
    dialog.locator("#setting-model").fill("tiny-model")
    dialog.locator("#setting-prompt").fill("Answer in one line.")
    dialog.locator("button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('#model-chip .model-name').textContent === 'tiny-model'"
    )
    stored = api.get(f"/api/conversations/{cid}").json()
    assert (stored["model"], stored["system_prompt"]) == ("tiny-model", "Answer in one line.")
    chip.click()  # back to the defaults
    dialog.locator("#setting-model").fill("")
    dialog.locator("#setting-prompt").fill("")
    dialog.locator("button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelector('#model-chip .model-name').textContent !== 'tiny-model'"
    )
    stored = api.get(f"/api/conversations/{cid}").json()
    assert (stored["model"], stored["system_prompt"]) == (None, None)
