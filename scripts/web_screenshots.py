"""Screenshots of the web page in headless Chromium: desktop (1440 x 900) and phone (390 x 844)
widths, light and dark, with a conversation holding Markdown, code, a table and math.

    .venv/bin/python scripts/web_screenshots.py [OUT_DIR]     (default /tmp/web-shots)

Starts a backend of its own in a temporary folder (a canned responder, so the reply is a
realistic one), seeds a few conversations across date groups, and writes one PNG per
width x theme (plus the empty state and the token form). Needs Debian's chromium.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402
from backend.responders import ChatMessage  # noqa: E402
from tests.support.http_client import TokenApi  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

REPLY = r"""<think>The user wants a merge of two sorted lists. Two pointers, then the rest.</think>Here is a linear-time merge of two sorted lists, with a quick test.

```python
def merge(a: list[int], b: list[int]) -> list[int]:
    # Merge two sorted lists into one sorted list.
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i]); i += 1
        else:
            out.append(b[j]); j += 1
    return out + a[i:] + b[j:]

assert merge([1, 4, 9], [2, 3, 10]) == [1, 2, 3, 4, 9, 10]
```

How it compares with the alternatives:

| approach | time | extra space | stable |
| --- | ---: | ---: | :---: |
| two pointers | $O(n + m)$ | $O(n + m)$ | yes |
| `sorted(a + b)` | $O((n+m)\log(n+m))$ | $O(n + m)$ | yes |
| `heapq.merge` | $O(n + m)$ | $O(1)$ lazily | yes |

- Each step takes the **smaller** head, so the output stays sorted.
- The leftovers `a[i:]` and `b[j:]` are already sorted.

> For many lists, `heapq.merge(*lists)` does the same with a heap.

The total work is $$\sum_{k=1}^{n+m} 1 = n + m.$$
"""


class CannedResponder:
    """Streams `REPLY` in small pieces (a stand-in for a real model in screenshots)."""

    name = "openai-compatible"
    model = "llama3.2"

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        for start in range(0, len(REPLY), 24):
            await asyncio.sleep(0)
            yield REPLY[start : start + 24]


CONVERSATIONS = [
    ("Trip plans for the Alps", 0.1),
    ("SQL query for monthly totals", 0.5),
    ("Haiku about autumn", 1.2),
    ("Regex to match ISO dates", 3),
    ("Explain Server-Sent Events", 5),
    ("Budget spreadsheet formulas", 12),
    ("Dockerfile for a FastAPI app", 20),
    ("Reading list: distributed systems", 45),
    ("Birthday party ideas", 80),
]


def seed(data_dir: Path) -> str:
    """Conversations across the date groups, and the one shown; returns the shown one's id."""
    with EmbeddedServer(Settings(data_dir=data_dir), CannedResponder()) as server:
        api = TokenApi(server.base_url, server.token)
        ids = []
        for title, _days in CONVERSATIONS:
            ids.append(api.post("/api/conversations", json={"title": title}).json()["id"])
        shown = api.post("/api/conversations", json={"title": "Merge two sorted lists"}).json()
        turn = api.send(shown["id"], "Write a Python function that merges two sorted lists.")
        api.get(turn["events_url"])  # to its end
    now = datetime.now(UTC)
    with sqlite3.connect(data_dir / "chat.sqlite3") as db:
        for cid, (_title, days) in zip(ids, CONVERSATIONS, strict=True):
            when = (now - timedelta(days=days)).isoformat(timespec="microseconds")
            db.execute(
                "UPDATE conversations SET updated_at = ?, created_at = ? WHERE id = ?",
                (when.replace("+00:00", "Z"), when.replace("+00:00", "Z"), cid),
            )
    return str(shown["id"])


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/web-shots")
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="sse-chat-shots-"))
    shown = seed(data_dir)
    with EmbeddedServer(Settings(data_dir=data_dir), CannedResponder()) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        sizes = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
        for size, viewport in sizes.items():
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    viewport=viewport, color_scheme=scheme, device_scale_factor=1
                )
                page = context.new_page()
                page.goto(f"{server.base_url}/?token={server.token}#{shown}")
                page.wait_for_selector("#app[data-state=ready]")
                page.wait_for_selector(".msg-assistant .katex")
                page.wait_for_timeout(300)  # fonts
                page.screenshot(path=str(out / f"{size}-{scheme}.png"))
                if size == "phone":
                    page.click("#open-sidebar")
                    page.wait_for_timeout(300)
                    page.screenshot(path=str(out / f"{size}-{scheme}-list.png"))
                else:
                    page.locator(".msg-assistant details.reasoning > summary").click()
                    page.locator(".msg-user").hover()
                    page.screenshot(path=str(out / f"{size}-{scheme}-reasoning.png"))
                    page.keyboard.press("Control+Shift+O")
                    page.wait_for_selector("#empty:not([hidden])")
                    page.screenshot(path=str(out / f"{size}-{scheme}-empty.png"))
                context.close()
        context = browser.new_context(viewport=sizes["desktop"])
        page = context.new_page()
        page.goto(f"{server.base_url}/?token=wrong")
        page.wait_for_selector("#gate:not([hidden])")
        page.screenshot(path=str(out / "token-form.png"))
        browser.close()
    for path in sorted(out.glob("*.png")):
        print(path)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
