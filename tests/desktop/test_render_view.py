"""The Markdown renderer's widgets: incremental = whole, code blocks, safety, copying."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QGuiApplication,
    QImage,
    QTextBlock,
    QTextCursor,
)
from pytestqt.qtbot import QtBot

from desktop.views.code_block import CodeBlock
from desktop.views.markdown_body import MarkdownBody
from desktop.views.segments import MarkdownSegment

REPLY = (
    "# Heading\n\nIntro with **bold**, *emphasis* and a [link](https://example.com).\n\n"
    "- one\n- two\n  - nested\n\n1. first\n2. second\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "```python\ndef f(x):\n    return x * 2\n```\n\n"
    "Between.\n\n```\nplain <b>code</b>\n```\n"
    + "".join(f"Paragraph {i} with some words to wrap.\n\n" for i in range(60))
    + "Tail line"
)


def structure(body: MarkdownBody) -> list[tuple[str, list[tuple[str, int, bool]]]]:
    """Each segment widget: kind and its document's blocks (text, heading level, in list)."""
    out: list[tuple[str, list[tuple[str, int, bool]]]] = []
    for widget in body.widgets():
        if isinstance(widget, CodeBlock):
            out.append(("code:" + widget.label.text(), [(widget.code, 0, False)]))
            continue
        blocks = []
        block = widget.document().firstBlock()
        while block.isValid():
            blocks.append(
                (block.text(), block.blockFormat().headingLevel(), block.textList() is not None)
            )
            block = block.next()
        out.append(("markdown", blocks))
    return out


def plain(body: MarkdownBody) -> str:
    return "\n".join(
        w.code if isinstance(w, CodeBlock) else w.toPlainText() for w in body.widgets()
    )


@pytest.fixture
def body(qtbot: QtBot) -> MarkdownBody:
    b = MarkdownBody()
    qtbot.addWidget(b)
    b.resize(600, 400)
    b.show()
    return b


def whole(qtbot: QtBot, text: str) -> MarkdownBody:
    b = MarkdownBody()
    qtbot.addWidget(b)
    b.set_text(text, final=True)
    b.finish()
    taken_in(qtbot, b)
    return b


def taken_in(qtbot: QtBot, body: MarkdownBody) -> None:
    """Wait until all of the text is taken in: a pass stops after `PASS_SECONDS` (a slow
    or busy machine), and the rest follows from the event loop."""
    qtbot.waitUntil(lambda: body.pending == 0)


@pytest.mark.parametrize("seed", range(5))
def test_streamed_in_random_chunks_renders_like_the_whole_text(
    qtbot: QtBot, body: MarkdownBody, seed: int
) -> None:
    rng = random.Random(seed)
    pos = 0
    while pos < len(REPLY):
        pos += rng.choice([1, 2, 3, 7, 20, 64, 300])
        body.set_text(REPLY[:pos])
    body.set_text(REPLY, final=True)
    body.finish()
    taken_in(qtbot, body)
    expected = whole(qtbot, REPLY)
    assert structure(body) == structure(expected)
    assert plain(body) == plain(expected)
    assert body.text() == REPLY


def test_the_document_has_real_markdown(qtbot: QtBot) -> None:
    b = whole(qtbot, REPLY)
    shape = structure(b)
    first = shape[0][1]
    assert first[0] == ("Heading", 1, False)
    texts = [t for kind, blocks in shape if kind == "markdown" for t, _, _ in blocks]
    assert "**" not in "".join(texts) and "|---|" not in "".join(texts)
    assert any(in_list for kind, blocks in shape for _, _, in_list in blocks)
    codes = [w for w in b.widgets() if isinstance(w, CodeBlock)]
    assert [c.code for c in codes] == ["def f(x):\n    return x * 2\n", "plain <b>code</b>\n"]
    assert codes[0].label.text() == "python"
    assert codes[0].view.font().fixedPitch() or "mono" in codes[0].view.font().family().lower()
    # highlighted: the keyword `def` has a colour of its own
    layout = codes[0].view.document().firstBlock().layout()
    formats = layout.formats()
    assert any(
        f.start == 0 and f.length == 3 and f.format.foreground().color() != QColor()
        for f in formats
    )


def test_unclosed_fence_mid_stream_renders_sanely(qtbot: QtBot, body: MarkdownBody) -> None:
    body.set_text("Some text.\n\n```python\nimport os\nprint(os.sep")
    widgets = body.widgets()
    assert [type(w) for w in widgets] == [MarkdownSegment, CodeBlock]
    code = widgets[1]
    assert isinstance(code, CodeBlock)
    assert code.view.toPlainText() == "import os\nprint(os.sep"
    assert "```" not in plain(body)
    body.set_text("Some text.\n\n```python\nimport os\nprint(os.sep)\n``")
    assert code.view.toPlainText().rstrip("\n") == "import os\nprint(os.sep)"
    body.set_text("Some text.\n\n```python\nimport os\nprint(os.sep)\n```\nAfter.")
    assert code.closed and code.code == "import os\nprint(os.sep)\n"
    assert code.view.toPlainText() == "import os\nprint(os.sep)"
    after = body.widgets()[-1]
    assert isinstance(after, MarkdownSegment) and after.toPlainText() == "After."


def test_html_in_text_is_shown_literally(qtbot: QtBot) -> None:
    b = whole(qtbot, "Hi <b>bold</b> <script>alert(1)</script>\n\n<div>block</div>\n")
    text = plain(b)
    assert "<b>bold</b>" in text and "<script>alert(1)</script>" in text
    assert "<div>block</div>" in text
    segment = b.widgets()[0]
    assert isinstance(segment, MarkdownSegment)
    assert not segment.document().toHtml().count("<b>bold")  # never markup


@pytest.fixture
def listener() -> Iterator[list[bytes]]:
    """A local HTTP port that records every connection made to it."""
    hits: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                hits.append(conn.recv(1024))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    hits.append(str(server.getsockname()[1]).encode())
    yield hits
    stop.set()
    thread.join(2)
    server.close()


def test_image_links_fetch_nothing(qtbot: QtBot, tmp_path: Path, listener: list[bytes]) -> None:
    port = listener.pop(0).decode()
    tall = tmp_path / "tall.png"
    image = QImage(20, 500, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    image.save(str(tall))
    text = (
        f"![remote](http://127.0.0.1:{port}/x.png)\n\n![local]({tall.as_uri()})\n\n"
        f"![relative](tall.png)\n"
    )
    b = whole(qtbot, text)
    b.resize(400, 300)
    b.show()
    qtbot.waitExposed(b)
    segment = b.widgets()[0]
    assert isinstance(segment, MarkdownSegment)
    segment.document().setBaseUrl(QUrl.fromLocalFile(str(tmp_path) + "/"))
    segment.document().adjustSize()
    assert segment.document().size().height() < 200  # no 500 px image was loaded
    assert listener == []  # and nothing connected to the remote one


def test_links_open_only_http_in_the_system_browser(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    b = whole(qtbot, "[web](https://example.com/a) [file](file:///etc/passwd) [js](javascript:x)")
    segment = b.widgets()[0]
    assert isinstance(segment, MarkdownSegment)
    assert not segment.openLinks() and not segment.openExternalLinks()
    for url in ("https://example.com/a", "file:///etc/passwd", "javascript:x"):
        segment.anchorClicked.emit(QUrl(url))
    assert opened == ["https://example.com/a"]
    assert segment.source().isEmpty()  # never navigated inside the app


def test_copy_puts_exactly_the_code_on_the_clipboard(qtbot: QtBot) -> None:
    code = "x = '<b>'  \n\tindented()\n"
    b = whole(qtbot, f"Text\n\n```python\n{code}```\n")
    block = next(w for w in b.widgets() if isinstance(w, CodeBlock))
    block.copy_button.click()
    assert QGuiApplication.clipboard().text() == code


def test_code_block_grows_without_rewriting(qtbot: QtBot, body: MarkdownBody) -> None:
    text = "```js\n"
    body.set_text(text)
    block = body.widgets()[0]
    assert isinstance(block, CodeBlock)
    doc = block.view.document()
    changes: list[tuple[int, int, int]] = []
    doc.contentsChange.connect(lambda pos, removed, added: changes.append((pos, removed, added)))
    for i in range(50):
        text += f"let v{i} = {i};\n"
        body.set_text(text)
    assert all(removed == 0 for _, removed, _ in changes)  # only appended
    assert block.code.count("\n") == 50
    cursor = QTextCursor(doc)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    assert doc.blockCount() == 51  # 50 lines and the empty line being written


def test_every_span_of_a_heading_has_its_size_and_weight(qtbot: QtBot) -> None:
    b = whole(qtbot, "# Use **this** one `now`\n\nBody with **bold**.\n")
    segment = b.widgets()[0]
    assert isinstance(segment, MarkdownSegment)
    last = b.widgets()[-1]
    assert isinstance(last, MarkdownSegment)
    heading = segment.document().firstBlock()
    body = last.document().lastBlock()
    assert heading.blockFormat().headingLevel() == 1 and body.text() == "Body with bold."

    def spans(block: QTextBlock) -> list[tuple[str, float, int]]:
        out = []
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            out.append((it.fragment().text(), fmt.font().pointSizeF(), fmt.fontWeight()))
            it += 1
        return out

    h1 = round(segment.document().defaultFont().pointSizeF() * 1.4, 2)  # TYPE.h1, semibold
    assert "".join(s for s, _, _ in spans(heading)) == "Use this one now"
    assert {(round(size, 2), w) for _, size, w in spans(heading)} == {(h1, 600)}
    assert [w for _, _, w in spans(body)] == [400, 700, 400]  # other blocks untouched
