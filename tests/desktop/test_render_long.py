"""Long texts: a long reply renders what is in view (and what comes into view when the
user scrolls), a long user message is folded until the user asks for all of it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QScrollArea
from pytestqt.qtbot import QtBot

from desktop.views.code_block import CodeBlock
from desktop.views.main_window import MainWindow
from desktop.views.markdown_body import MarkdownBody
from desktop.views.message_widget import MessageWidget
from desktop.views.plain_body import HEAD_LINES, PlainBody, head_of
from desktop.views.segments import MarkdownSegment
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def long_markdown(sections: int) -> str:
    parts = []
    for i in range(sections):
        parts.append(
            f"## Section {i}\n\nSome *text* of section {i}, long enough to wrap over a line"
            " or two in a narrow window.\n\n- a point\n- another point\n\n"
            f"```python\ndef section_{i}() -> int:\n    return {i}\n```\n\n"
        )
    return "".join(parts)


def rendered_code(body: MarkdownBody) -> list[str]:
    return [w.code for w in body.segment_widgets if isinstance(w, CodeBlock)]


def test_a_long_text_arriving_at_once_renders_only_what_is_in_view(
    qtbot: QtBot,
) -> None:
    area = QScrollArea()  # a reply much taller than the view, as in the chat view
    qtbot.addWidget(area)
    area.setWidgetResizable(True)
    body = MarkdownBody()
    area.setWidget(body)
    area.resize(600, 400)
    area.show()
    text = long_markdown(60)
    body.set_text(text)  # one update, still streaming: no fence is "open" in the middle
    qtbot.waitUntil(lambda: body.pending == 0 and bool(body.segment_widgets))
    qtbot.wait(50)  # a few passes of the event loop
    code = rendered_code(body)
    # the blocks of the page or two near the top of a 400 px view, not all 60
    assert 0 < len(code) <= 20, "only the blocks near the top of the view are made"
    assert code[0] == "def section_0() -> int:\n    return 0\n"
    assert body.lazy_pages > 0
    assert len(body.findChildren(CodeBlock)) == len(code)  # no other block was ever made
    # every part renders on demand, and the whole is the text
    whole = body.widgets()
    assert [w.code for w in whole if isinstance(w, CodeBlock)] == [
        f"def section_{i}() -> int:\n    return {i}\n" for i in range(60)
    ]
    assert body.lazy_pages == 0


def test_scrolling_up_a_long_reply_renders_what_comes_into_view(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.0)
    window.resize(700, 500)
    d = driver(window)
    text = long_markdown(150)
    d.send(text, paste=True)
    d.wait_reply_done()
    view = window.chat_view
    reply = view.widgets[-1]
    assert isinstance(reply, MessageWidget) and isinstance(reply.body, MarkdownBody)
    body = reply.body
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and body.pending == 0)
    # at the end: the last blocks are rendered, most of the reply waits in lazy pages
    qtbot.waitUntil(lambda: "def section_149() -> int:\n    return 149\n" in rendered_code(body))
    assert body.lazy_pages > 0
    made = len(rendered_code(body))
    assert made < 40
    # the user scrolls to the top of the reply: its first blocks are rendered there
    top = reply.y() + body.mapTo(reply, body.rect().topLeft()).y()
    bar.setValue(top)
    qtbot.waitUntil(
        lambda: "def section_0() -> int:\n    return 0\n" in rendered_code(body), timeout=WAIT_MS
    )
    assert len(rendered_code(body)) < made + 40  # not everything in between
    first = next(w for w in body.segment_widgets if isinstance(w, MarkdownSegment))
    assert first.toPlainText().startswith("Section 0")


def test_a_long_user_message_is_folded_until_asked(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.0)
    d = driver(window)
    lines = [f"log line {i}: " + "x" * (i % 50) for i in range(2000)]
    text = "\n".join(lines)
    d.send(text, paste=True)
    d.wait_reply_done()
    mine = window.chat_view.widgets[-2]
    body = mine.body
    assert isinstance(body, PlainBody) and body.text() == text
    qtbot.waitUntil(lambda: body.pending == 0)

    def shown() -> str:
        return "\n".join(s.text() for s in body.segments)

    assert body.collapsed and body.fold_button.isVisible()
    assert body.fold_button.text() == "Show all (2,000 lines, " + f"{len(text):,} characters)"
    assert shown() == head_of(text) == "\n".join(lines[:HEAD_LINES])
    view = window.chat_view
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    before = bar.value()
    qtbot.mouseClick(body.fold_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: body.pending == 0 and not body.collapsed, timeout=WAIT_MS)
    assert shown() == text and len(body.segments) > 1  # the whole message, in pieces
    # the view stays where the user clicked, it does not run to the bottom
    qtbot.waitUntil(lambda: bar.maximum() > before + 1000)
    assert bar.value() == before and not view.follow and view.jump_button.isVisible()
    assert body.fold_button.text() == "Show less"
    qtbot.mouseClick(body.fold_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: body.pending == 0)
    assert body.collapsed and shown() == head_of(text)
    # the message is still the whole text: copying it and editing it
    mine.copy_markdown()
    assert QGuiApplication.clipboard().text() == text
    # a short message is shown whole, with no button
    d.send("A short question?")
    d.wait_reply_done()
    short = window.chat_view.widgets[-2].body
    assert isinstance(short, PlainBody)
    qtbot.waitUntil(lambda: short.pending == 0)
    assert not short.collapsed and not short.fold_button.isVisible()
    assert [s.text() for s in short.segments] == ["A short question?"]


def test_where_a_folded_message_is_cut() -> None:
    assert head_of("short") is None
    assert head_of("\n".join(["a"] * (2 * HEAD_LINES - 1))) is None  # barely over: whole
    assert head_of("\n".join(str(i) for i in range(100))) == "\n".join(
        str(i) for i in range(HEAD_LINES)
    )
    one_line = "Summarize:\n" + "word " * 2000  # a short line, then a very long one
    head = head_of(one_line)
    assert head is not None and head.startswith("Summarize:\nword")
    assert 700 < len(head) <= 1500 and head.endswith("word")
    assert head_of("x" * 10_000) == "x" * 1500
