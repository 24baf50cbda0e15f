"""Typeset math in replies and user messages: inline, display, streaming, invalid, prices,
Copy gives the LaTeX source, colours follow the theme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage, QTextDocument
from PySide6.QtWidgets import QApplication, QTextEdit, QWidget
from pytestqt.qtbot import QtBot

from desktop.render.mathdoc import SCHEME
from desktop.render.mathrender import FAILED, MathKey, math_renderer, render_math
from desktop.theme import DARK, LIGHT, apply_theme
from desktop.views.main_window import MainWindow
from desktop.views.markdown_body import MarkdownBody
from desktop.views.plain_body import PlainBody
from desktop.views.segments import MarkdownSegment, PlainSegment
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def formula_images(edit: QWidget) -> list[QImage]:
    """The typeset formulas a segment shows (images the document holds itself); none in a
    widget without a document (a code block)."""
    if not isinstance(edit, QTextEdit):
        return []
    document = edit.document()
    found: list[QImage] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat() and fmt.toImageFormat().name().startswith(SCHEME + ":"):
                resource = document.resource(
                    QTextDocument.ResourceType.ImageResource, QUrl(fmt.toImageFormat().name())
                )
                if isinstance(resource, QImage) and not resource.isNull():
                    found.append(resource)
            it += 1
        block = block.next()
    return found


def formula_count(body: MarkdownBody) -> int:
    return sum(len(formula_images(w)) for w in body.widgets())


def segment(qtbot: QtBot, text: str, kind: type[MarkdownSegment] = MarkdownSegment) -> QWidget:
    widget = kind()
    qtbot.addWidget(widget)
    widget.resize(500, 100)
    widget.show()
    if isinstance(widget, PlainSegment):
        widget.setText(text)
    else:
        widget.set_markdown(text)
    return widget


def settled(qtbot: QtBot) -> None:
    """Every formula asked for has been typeset (and its segment re-rendered)."""
    qtbot.waitUntil(lambda: not math_renderer().busy, timeout=WAIT_MS)
    QApplication.processEvents()


def ink(image: QImage) -> QColor:
    """The colour of the most opaque pixel of an image (the formula's ink)."""
    best = QColor(0, 0, 0, 0)
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() > best.alpha():
                best = colour
    return best


def test_inline_formula_is_an_image_on_the_line(qtbot: QtBot) -> None:
    w = segment(qtbot, "The area is $\\pi r^2$, with \\(r > 0\\).")
    assert isinstance(w, MarkdownSegment)
    qtbot.waitUntil(lambda: len(formula_images(w)) == 2, timeout=WAIT_MS)
    text = w.toPlainText()
    assert "\\pi" not in text and "$" not in text and "\\(" not in text
    assert text.startswith("The area is ") and text.endswith(".")
    assert w.document().blockCount() == 1  # inline: one paragraph


def test_display_formula_is_centred_in_its_own_block(qtbot: QtBot) -> None:
    w = segment(qtbot, "Gauss:\n\n$$\n\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}\n$$")
    assert isinstance(w, MarkdownSegment)
    qtbot.waitUntil(lambda: len(formula_images(w)) == 1, timeout=WAIT_MS)
    image = formula_images(w)[0]
    last = w.document().lastBlock()
    assert last.text() == "\ufffc"
    assert last.blockFormat().alignment() & Qt.AlignmentFlag.AlignHCenter
    assert image.height() > 2 * w.fontMetrics().height()  # a display fraction is tall


def test_display_formula_in_a_paragraph_gets_a_line_of_its_own(qtbot: QtBot) -> None:
    w = segment(qtbot, "Sum $$\\sum_{n=1}^\\infty \\frac{1}{n^2}$$ converges.")
    assert isinstance(w, MarkdownSegment)
    qtbot.waitUntil(lambda: len(formula_images(w)) == 1, timeout=WAIT_MS)
    assert w.document().firstBlock().text() == "Sum\u2028\ufffc\u2028converges."


def test_prices_and_shell_variables_stay_text(qtbot: QtBot) -> None:
    source = "It costs $5 and $10, see `$HOME` and $PATH."
    w = segment(qtbot, source)
    assert isinstance(w, MarkdownSegment)
    settled(qtbot)
    assert formula_images(w) == []
    assert w.toPlainText() == "It costs $5 and $10, see $HOME and $PATH."


def test_invalid_formula_shows_its_source_and_no_dialog(qtbot: QtBot) -> None:
    w = segment(qtbot, "Bad: $\\frac{a$ and \\(\\notacommand{x}\\) but $x^2$ is fine.")
    assert isinstance(w, MarkdownSegment)
    qtbot.waitUntil(lambda: len(formula_images(w)) == 1, timeout=WAIT_MS)
    settled(qtbot)
    assert w.toPlainText() == "Bad: $\\frac{a$ and \\(\\notacommand{x}\\) but \ufffc is fine."
    assert QApplication.activeModalWidget() is None
    assert render_math(MathKey("\\frac{a", False, 14.0, "#000000")) is FAILED


def test_streaming_formula_stays_source_until_it_closes(qtbot: QtBot) -> None:
    body = MarkdownBody()
    qtbot.addWidget(body)
    body.resize(500, 200)
    body.show()
    reply = "Einstein: $E = mc^2$ and done."
    cut = reply.index("^2") + 2
    body.set_text(reply[:cut])
    settled(qtbot)
    tail = body.widgets()[-1]
    assert isinstance(tail, MarkdownSegment)
    assert tail.toPlainText() == "Einstein: $E = mc^2"
    assert formula_images(tail) == []
    body.set_text(reply)
    qtbot.waitUntil(lambda: len(formula_images(body.widgets()[-1])) == 1, timeout=WAIT_MS)
    body.set_text(reply + "\n\nMore text.", final=True)
    body.finish()
    qtbot.waitUntil(lambda: formula_count(body) == 1, timeout=WAIT_MS)
    assert body.text() == reply + "\n\nMore text."


def test_copy_gives_the_latex_source(qtbot: QtBot) -> None:
    w = segment(qtbot, "Area $\\pi r^2$ here.\n\n$$\n\\frac{a}{b}\n$$")
    assert isinstance(w, MarkdownSegment)
    qtbot.waitUntil(lambda: len(formula_images(w)) == 2, timeout=WAIT_MS)
    w.selectAll()
    w.copy()
    assert QGuiApplication.clipboard().text() == "Area $\\pi r^2$ here.\n$$\n\\frac{a}{b}\n$$"
    cursor = w.textCursor()
    cursor.setPosition(5)
    cursor.setPosition(6, cursor.MoveMode.KeepAnchor)  # the inline image alone
    w.setTextCursor(cursor)
    w.copy()
    assert QGuiApplication.clipboard().text() == "$\\pi r^2$"
    cursor.setPosition(0)
    cursor.setPosition(4, cursor.MoveMode.KeepAnchor)  # no formula: Qt's own copy
    w.setTextCursor(cursor)
    w.copy()
    assert QGuiApplication.clipboard().text() == "Area"


def test_a_model_cannot_name_formula_images(qtbot: QtBot) -> None:
    w = segment(qtbot, f"![m]({SCHEME}:000000000000/0) and $y$")
    assert isinstance(w, MarkdownSegment)
    qtbot.waitUntil(lambda: len(formula_images(w)) == 1, timeout=WAIT_MS)
    settled(qtbot)
    assert len(formula_images(w)) == 1  # only ours; the model's placeholder loads nothing


def test_user_message_formulas_are_typeset_too(qtbot: QtBot) -> None:
    w = segment(qtbot, "What is $\\sqrt{2}$? I pay $5 to $10.", PlainSegment)
    assert isinstance(w, PlainSegment)
    qtbot.waitUntil(lambda: len(formula_images(w)) == 1, timeout=WAIT_MS)
    assert w.toPlainText() == "What is \ufffc? I pay $5 to $10."
    assert w.text() == "What is $\\sqrt{2}$? I pay $5 to $10."
    w.selectAll()
    w.copy()
    assert QGuiApplication.clipboard().text() == w.text()


@contextmanager
def themed(qapp: QApplication) -> Iterator[None]:
    """Switch themes inside; the app's style, palette and stylesheet are restored after
    (and the theme state forgets its scheme, so the next `apply_theme` applies)."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    try:
        yield
    finally:
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
        qapp.setStyle(style)
        state = qapp.findChild(QObject, "sse-chat-theme")
        if state is not None:
            state.scheme = None  # type: ignore[attr-defined]


def test_formula_colour_follows_the_theme(qapp: QApplication, qtbot: QtBot) -> None:
    with themed(qapp):
        apply_theme(qapp, "light")
        w = segment(qtbot, "$\\mathbf{X}$")
        assert isinstance(w, MarkdownSegment)
        qtbot.waitUntil(lambda: len(formula_images(w)) == 1, timeout=WAIT_MS)
        assert ink(formula_images(w)[0]).name() == QColor(LIGHT.text).name()
        apply_theme(qapp, "dark")
        w.restyle()
        qtbot.waitUntil(
            lambda: [ink(i).name() for i in formula_images(w)] == [QColor(DARK.text).name()],
            timeout=WAIT_MS,
        )


def test_formulas_in_the_real_window(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.002)
    d = driver(window)
    d.send("Area $\\pi r^2$ for $5 and $10")
    d.wait_reply_done()
    user, reply = window.chat_view.widgets
    asked, answer = user.body, reply.body
    assert isinstance(asked, PlainBody) and isinstance(answer, MarkdownBody)

    def shown() -> tuple[int, int]:
        mine = sum(len(formula_images(s)) for s in asked.segments)
        theirs = sum(len(formula_images(s)) for s in answer.widgets())
        return mine, theirs

    qtbot.waitUntil(lambda: shown() == (1, 1), timeout=WAIT_MS)
    assert reply.body.text() == "Area $\\pi r^2$ for $5 and $10"
