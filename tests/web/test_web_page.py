"""The page in Chromium: the token, sending and streaming, Markdown, the list, the layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.config import Settings
from backend.embedded import EmbeddedServer
from tests.support.http_client import TokenApi
from tests.support.web_helpers import WAIT_MS, WebPage


def test_the_token_is_kept_for_the_tab_and_leaves_the_address(
    make_page: Any, server: EmbeddedServer
) -> None:
    page: WebPage = make_page(server.base_url)
    page.open(server.token, path="/")
    page.wait_ready()
    assert page.page.url == server.base_url + "/"
    stored = page.page.evaluate("() => sessionStorage.getItem('sse-chat.token')")
    assert stored == server.token
    page.page.reload()  # the tab still has it
    page.wait_ready()
    assert page.page.locator("#gate").is_hidden()
    assert server.token not in page.page.content()
    assert page.errors == []
    page.page.go_back()  # the address with the token was replaced, not kept in the history
    assert page.page.url == "about:blank"


def test_without_a_token_the_page_asks_and_a_wrong_one_is_said_plainly(
    make_page: Any, server: EmbeddedServer
) -> None:
    page: WebPage = make_page(server.base_url)
    page.open(None)
    gate = page.page.locator("#gate")
    gate.wait_for(state="visible", timeout=WAIT_MS)
    assert "needs its access token" in page.page.inner_text("#gate-reason")
    page.page.fill("#gate-token", "not-the-token")
    page.page.press("#gate-token", "Enter")
    page.page.wait_for_function(
        "() => document.querySelector('#gate-reason').textContent.includes('not accepted')"
    )
    page.page.fill("#gate-token", server.token)
    page.page.press("#gate-token", "Enter")
    page.wait_ready()
    assert gate.is_hidden()

    wrong: WebPage = make_page(server.base_url)
    wrong.open("stale-token-from-yesterday")
    wrong.page.locator("#gate").wait_for(state="visible", timeout=WAIT_MS)
    assert "That token was not accepted" in wrong.page.inner_text("#gate-reason")
    assert wrong.page.url == server.base_url + "/"  # removed from the address all the same
    assert wrong.page.evaluate("() => sessionStorage.getItem('sse-chat.token')") is None


def test_a_server_without_auth_opens_without_asking(make_page: Any, tmp_path: Path) -> None:
    with EmbeddedServer(Settings(data_dir=tmp_path, auth=False, echo_delay=0)) as server:
        page: WebPage = make_page(server.base_url)
        page.open(None)
        page.wait_ready()
        assert page.page.locator("#gate").is_hidden()
        page.send("no token needed")
        page.wait_replies(1)
        assert (page.assistant().text_content() or "").strip().startswith("no token needed")
        assert not any("token=" in url for url in page.requests)


MARKDOWN = """# Plan

Some **bold** text, `inline code` and a [link](https://example.org/docs).

```python
def add(a, b):
    return a + b
```

| name | value |
| --- | ---: |
| one | 1 |

Euler: $e^{i\\pi} + 1 = 0$
"""


def test_a_message_streams_and_renders_as_markdown(
    make_page: Any, slow_server: EmbeddedServer
) -> None:
    page: WebPage = make_page(slow_server.base_url)
    page.open(slow_server.token)
    page.wait_ready()
    # the echo repeats the message, 10 ms a character: watch it grow
    page.page.evaluate(
        """() => {
        window.__lengths = [];
        new MutationObserver(() => {
            const reply = document.querySelector('.msg-assistant .content');
            if (reply) window.__lengths.push(reply.textContent.length);
        }).observe(document.querySelector('#messages'),
                   {subtree: true, childList: true, characterData: true});
    }"""
    )
    page.send(MARKDOWN)
    page.page.locator(".msg-assistant[data-status=streaming]").wait_for(timeout=WAIT_MS)
    assert page.page.get_attribute("#send", "aria-label") == "Stop"
    page.wait_replies(1)
    lengths = page.page.evaluate("() => window.__lengths")
    assert len({n for n in lengths if n > 0}) >= 3, lengths  # it grew in steps
    assert page.page.get_attribute("#send", "aria-label") == "Send"

    user = page.page.locator(".msg-user .bubble")
    assert user.inner_text().rstrip("\n") == MARKDOWN.rstrip("\n")
    body = page.assistant().locator(".md.body")
    assert body.locator("h1").inner_text() == "Plan"
    assert body.locator("strong").inner_text() == "bold"
    assert body.locator(":not(pre) > code").inner_text() == "inline code"
    link = body.locator("a[href='https://example.org/docs']")
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "")
    code = body.locator(".code-block")
    assert code.locator(".code-head span").first.inner_text() == "python"
    assert code.locator("button.copy").is_visible()
    assert code.locator(".hljs-keyword").first.inner_text() == "def"
    assert "return a + b" in code.locator("pre").inner_text()
    assert body.locator(".table-wrap table td").nth(1).inner_text() == "1"
    body.locator(".katex").first.wait_for(timeout=WAIT_MS)  # KaTeX, loaded on first use
    assert page.csp_violations() == []
    assert page.foreign_requests() == []
    assert page.errors == []

    # the list shows it under Today, titled from the first line without Markdown marks
    row = page.page.locator(".conversation.current a")
    assert row.inner_text() == "Plan"
    assert page.page.locator(".group-label").first.inner_text() == "Today"
    cid = page.page.evaluate("() => window.sseChat.current.id")
    api = TokenApi(slow_server.base_url, slow_server.token)
    stored = api.get(f"/api/conversations/{cid}").json()
    assert [m["content"] for m in stored["messages"]] == [MARKDOWN, MARKDOWN]


def test_copy_buttons_copy_the_code_and_the_reply(
    make_page: Any, server: EmbeddedServer, browser: Any
) -> None:
    page: WebPage = make_page(server.base_url, permissions=["clipboard-read", "clipboard-write"])
    page.open(server.token)
    page.wait_ready()
    page.send("Run this:\n\n```sh\necho hi\n```")
    page.wait_replies(1)
    page.assistant().locator("button.copy").click()
    assert page.page.evaluate("() => navigator.clipboard.readText()") == "echo hi"
    page.assistant().hover()
    page.assistant().locator(".actions button[aria-label^='Copy']").click()
    assert page.page.evaluate("() => navigator.clipboard.readText()") == (
        "Run this:\n\n```sh\necho hi\n```"
    )


def test_a_title_is_the_words_after_a_leading_thinking_block(web: WebPage) -> None:
    # the echo provider reasons from `<think>` in the message: that is not the question
    web.send("<think>Keep it short.</think>Hello **world**")
    web.wait_replies(1)
    assert web.page.locator(".conversation.current a").inner_text() == "Hello world"


def test_new_rename_and_delete_from_the_list(web: WebPage, api: Any) -> None:
    page = web.page
    web.send("first conversation")
    web.wait_replies(1)
    cid = page.evaluate("() => window.sseChat.current.id")
    page.keyboard.press("Control+Shift+O")
    page.locator("#empty").wait_for(state="visible")
    assert page.inner_text("#title") == "New chat"
    row = page.locator(f".conversation[data-id='{cid}']")
    row.hover()
    row.locator(".row-menu").click()
    page.locator("#menu button", has_text="Rename").click()
    box = row.locator("input")
    box.fill("Renamed here")
    box.press("Enter")
    page.wait_for_function(
        "(cid) => document.querySelector(`.conversation[data-id='${cid}'] a`)"
        "?.textContent === 'Renamed here'",
        arg=cid,
    )
    assert api.get(f"/api/conversations/{cid}").json()["title"] == "Renamed here"

    row.locator("a").click()
    page.wait_for_function("(cid) => window.sseChat.current?.id === cid", arg=cid)
    assert page.url.endswith(f"#{cid}")
    page.click("#title")
    page.fill(".title-input", "Renamed in the header")
    page.press(".title-input", "Enter")
    page.wait_for_function("() => document.title.startsWith('Renamed in the header')")
    assert api.get(f"/api/conversations/{cid}").json()["title"] == "Renamed in the header"

    page.click("#conversation-menu")
    page.locator("#menu button", has_text="Delete").click()
    page.locator("#dialog button", has_text="Delete").click()
    page.locator(f".conversation[data-id='{cid}']").wait_for(state="detached")
    assert api.get(f"/api/conversations/{cid}").status_code == 404
    assert page.inner_text("#title") == "New chat"


def test_a_phone_sized_window_uses_a_drawer_and_the_keys_work(
    make_page: Any, server: EmbeddedServer
) -> None:
    page: WebPage = make_page(server.base_url, viewport={"width": 390, "height": 844})
    page.open(server.token)
    page.wait_ready()
    sidebar = page.page.locator("#sidebar")
    box = sidebar.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0  # off screen
    composer = page.page.locator("#composer").bounding_box()
    assert composer is not None and composer["width"] <= 390
    assert page.page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.page.click("#open-sidebar")
    page.page.wait_for_function(
        "() => document.querySelector('#sidebar').getBoundingClientRect().left >= 0"
    )
    page.page.click("#scrim", position={"x": 380, "y": 400})
    page.page.keyboard.press("Control+k")
    page.page.wait_for_function("() => document.activeElement?.id === 'search'")
    page.page.keyboard.press("Escape")
    page.page.wait_for_function("() => document.activeElement?.id === 'input'")
    page.page.keyboard.type("line one")
    page.page.keyboard.press("Shift+Enter")
    page.page.keyboard.type("line two")
    assert page.page.input_value("#input") == "line one\nline two"
    page.page.keyboard.press("Enter")
    page.wait_replies(1)
    assert page.page.input_value("#input") == ""
    assert page.page.inner_text(".msg-user .bubble") == "line one\nline two"
    assert page.errors == []
