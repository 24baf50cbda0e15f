"""Links in a reply and the JSON the client sends (issue 11, item 9).

- A `mailto:` link opens without its `body`/`attach`/`attachment` parameters, in any case
  and however encoded (a mail client would prefill a message or attach a local file).
- A hovered link shows its real target in the status bar, whatever its text says.
- The client sends UTF-8 JSON as it is (`ensure_ascii=False`): 90,000 emoji are 360 KB,
  not 1.08 MB of `\\ud83d\\ude00` escapes over the 1 MiB body limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.client import ApiError, ChatClient, json_body
from desktop.views.main_window import MainWindow
from desktop.views.segments import MarkdownSegment
from tests.support.qt_text import anchors, point_of
from tests.support.window_driver import WAIT_MS, Driver

MAILTO = (
    "[one](mailto:a@example.com?subject=Hi&body=secret) "
    "[two](mailto:b@example.com?ATTACH=/etc/passwd&cc=c@example.com) "
    "[three](MAILTO:d@example.com?Body=1&Attachment=%2Fetc%2Fshadow) "
    "[four](mailto:e@example.com?%61ttach=/x;subject=s&to=f@example.com) "
    "[web](https://example.com/?body=kept)"
)
OPENED = [
    "mailto:a@example.com?subject=Hi",
    "mailto:b@example.com?cc=c@example.com",
    "mailto:d@example.com",
    "mailto:e@example.com?subject=s&to=f@example.com",
    "https://example.com/?body=kept",
]


class UrlSink(QObject):
    """Stands in for the system's mail client and browser."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def sink() -> Iterator[UrlSink]:
    handler = UrlSink()
    for scheme in ("mailto", "http", "https"):
        QDesktopServices.setUrlHandler(scheme, handler, "open")  # type: ignore[arg-type]
    yield handler
    for scheme in ("mailto", "http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


def links_of_reply(window: MainWindow) -> list[tuple[MarkdownSegment, int, str]]:
    """(segment, position, href) of every link the last reply shows now."""
    body = window.chat_view.widgets[-1].body
    return [
        (segment, pos, href)
        for segment in body.findChildren(MarkdownSegment)
        if segment.isVisible()
        for pos, href in anchors(segment.document())
    ]


def send_links(window: MainWindow, d: Driver, text: str, qtbot: QtBot) -> int:
    """Send `text` (the echo replies with it); wait until its reply shows every link."""
    d.send(text, paste=True)
    d.wait_reply_done()
    count = text.count("](")
    qtbot.waitUntil(lambda: len(links_of_reply(window)) == count, timeout=WAIT_MS)
    return count


def point_at_link(window: MainWindow, index: int) -> tuple[QWidget, QPoint]:
    """Where link `index` of the last reply is on screen now (the reply may still settle)."""
    segment, pos, _href = links_of_reply(window)[index]
    return point_of(segment, segment.document(), pos)


def test_mailto_links_open_without_body_or_attachments(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot, sink: UrlSink
) -> None:
    count = send_links(window, driver(window), MAILTO, qtbot)
    assert count == len(OPENED)
    for index in range(count):

        def opened(n: int = index) -> bool:
            return len(sink.opened) == n

        qtbot.waitUntil(opened)  # one click, one open
        target, point = point_at_link(window, index)
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: len(sink.opened) == len(OPENED), timeout=WAIT_MS)
    assert sink.opened == OPENED


def test_a_hovered_link_shows_its_real_target(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    text = (
        "[https://bank.example/](https://evil.example/login) and "
        "[a file](file:///etc/passwd) and [mail](mailto:x@example.com?body=hi)"
    )
    send_links(window, driver(window), text, qtbot)
    status = window.statusBar()
    expected = [
        "https://evil.example/login",
        "Not opened (only web and mail links are): file:///etc/passwd",
        "mailto:x@example.com",  # what a click opens
    ]

    def hover(index: int) -> str:
        target, point = point_at_link(window, index)
        qtbot.mouseMove(target, point)
        return status.currentMessage()

    for index, shown in enumerate(expected):

        def hovered(n: int = index, text: str = shown) -> bool:
            return hover(n) == text

        qtbot.waitUntil(hovered, timeout=WAIT_MS)
    segment = links_of_reply(window)[0][0]
    qtbot.mouseMove(segment.viewport(), QPoint(segment.viewport().width() - 2, 1))
    qtbot.waitUntil(lambda: status.currentMessage() == "", timeout=WAIT_MS)


def test_the_client_sends_utf8_json(api: ChatClient) -> None:
    text = "😀" * 90_000  # under the 100,000-character limit
    assert len(json_body({"content": text})) < 1 << 20  # 360 KB, not 1.08 MB of escapes
    conv = api.create_conversation("emoji")
    turn = api.send_message(conv.id, text)
    api.cancel(turn.reply.id)
    assert turn.message.content == text
    assert api.get_conversation(conv.id).messages[0].content == text
    with pytest.raises(ApiError) as refused:  # a lone surrogate is still the backend's 422
        api.send_message(conv.id, "half a pair: \udc80")
    assert refused.value.status == 422
