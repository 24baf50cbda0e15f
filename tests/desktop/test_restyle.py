"""A reply drawn in light takes the dark colours (links, code, formulas) on `restyle_tree`,
in the real window: the colours a theme switch used to leave behind."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.render.contrast import AA, contrast
from desktop.theme import DARK, LIGHT, apply_theme
from desktop.views.code_block import CodeBlock
from desktop.views.main_window import MainWindow
from desktop.views.markdown_body import MarkdownBody
from desktop.views.restyle import restyle_tree
from desktop.views.segments import MarkdownSegment
from tests.desktop.test_render_math import formula_images, ink, themed
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory

REPLY = (
    "See [the docs](https://example.com) and $\\mathbf{X}$.\n\n"
    "```python\ndef area(r):\n    return 3.14 * r * r\n```\n"
)


def test_a_light_reply_takes_the_dark_colours(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    qapp: QApplication,
) -> None:
    with themed(qapp):
        apply_theme(qapp, "light")
        window = make_window(echo_delay=0.0)
        d = driver(window)
        d.send(REPLY, paste=True)
        d.wait_reply_done()
        reply = window.chat_view.widgets[-1]
        assert isinstance(reply.body, MarkdownBody)
        widgets = reply.body.widgets()
        text = next(w for w in widgets if isinstance(w, MarkdownSegment))
        code = next(w for w in widgets if isinstance(w, CodeBlock))
        qtbot.waitUntil(lambda: len(formula_images(text)) == 1, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not code.uncoloured, timeout=WAIT_MS)

        def link() -> str:
            cursor = QTextCursor(text.document())
            cursor.setPosition(6)
            return cursor.charFormat().foreground().color().name()

        def code_colours() -> set[str]:
            first = code.view.document().firstBlock()
            return {r.format.foreground().color().name() for r in first.layout().formats()}

        assert link() == LIGHT.link and ink(formula_images(text)[0]) == QColor(LIGHT.text)
        assert min(contrast(c, DARK.code_bg) for c in code_colours()) < AA  # light on dark

        apply_theme(qapp, "dark")
        count, _seconds = restyle_tree(window)
        assert count >= 3  # the reply's text and code, the user's message
        assert link() == DARK.link
        assert min(contrast(c, DARK.code_bg) for c in code_colours()) >= AA
        qtbot.waitUntil(
            lambda: [ink(i) for i in formula_images(text)] == [QColor(DARK.text)],
            timeout=WAIT_MS,
        )


def test_a_theme_change_restyles_every_shown_message_live(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    qapp: QApplication,
) -> None:
    """No call of `restyle_tree` by hand: the chat view hears the new palette and style."""
    with themed(qapp):
        apply_theme(qapp, "light")
        window = make_window(echo_delay=0.0)
        d = driver(window)
        d.send("<think>See [a link](https://example.com/r)</think>" + REPLY, paste=True)
        d.wait_reply_done()
        reply = window.chat_view.widgets[-1]
        assert isinstance(reply.body, MarkdownBody) and reply.thinking is not None
        reply.thinking.toggle()  # the reasoning, open
        answer = next(w for w in reply.body.widgets() if isinstance(w, MarkdownSegment))
        thought = next(w for w in reply.thinking.body.widgets() if isinstance(w, MarkdownSegment))

        def link(segment: MarkdownSegment, at: int) -> str:
            cursor = QTextCursor(segment.document())
            cursor.setPosition(at)
            return cursor.charFormat().foreground().color().name()

        assert (link(answer, 6), link(thought, 6)) == (LIGHT.link, LIGHT.link)
        apply_theme(qapp, "dark")
        qtbot.waitUntil(
            lambda: (link(answer, 6), link(thought, 6)) == (DARK.link, DARK.link),
            timeout=WAIT_MS,
        )
