"""Text from the backend, a model or an upstream is shown as text, never interpreted as HTML.

HTML goes in through the real backend: a hostile loopback upstream answers every request
with an error quoting it (the "The reply failed" line, the model line and its tooltip, the
Settings dialog's result), a model is named with it, a fence's language label and a
conversation title carry it, and a hostile `--connect` backend puts it into the banner.
Each place must show exactly the source text (plain text, escaped tooltips), and the local
image the HTML points at must never be opened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from backend.config import ProviderSettings
from desktop.app import build_window
from desktop.prefs.ui import UiSettings
from desktop.views.code_block import CodeBlock
from desktop.views.main_window import MainWindow
from desktop.workers import LaunchConfig
from tests.support.file_watch import OpenWatch
from tests.support.hostile_server import HostileServer
from tests.support.settings_dialog import DialogDriver
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory, first_child, listed


def html(image: Path) -> str:
    """A local image, a huge one, a fake link and a heading: the issue's reproductions."""
    return (
        f'<img src="{image}"><img width=20000 height=20000>'
        '<a href="https://evil.example/">Session expired: sign in</a><h1>BIG</h1>'
    )


def shown(text: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What Qt shows for `text` in a widget with text format `fmt` (a tooltip: AutoText)."""
    rich = fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and QtGuiNamespace.mightBeRichText(text)
    )
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def assert_plain(label: QLabel, text: str) -> None:
    assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    assert shown(label.text(), label.textFormat()) == text
    assert label.sizeHint().height() < 1000  # no 20000 px image laid out


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "p.png"
    picture = QImage(8, 8, QImage.Format.Format_RGB32)
    picture.fill(QColor("red"))
    assert picture.save(str(path))
    return path


@pytest.fixture
def watch(image: Path) -> Iterator[OpenWatch]:
    with OpenWatch(image) as watching:
        yield watching


def test_upstream_html_in_a_failed_reply_its_model_line_and_the_settings_result(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    image: Path,
    watch: OpenWatch,
    no_keyring: None,
) -> None:
    payload = html(image)
    with HostileServer(payload) as hostile:
        upstream = ProviderSettings(provider="openai", base_url=f"{hostile.url}/v1", model=payload)
        window = make_window(provider=upstream)
        d = driver(window)
        d.send("hello")
        d.wait_reply_done()
        reply = d.last_reply()
        assert reply.status == "failed" and reply.error and payload in reply.error
        widget = window.chat_view.widgets[-1]
        qtbot.waitUntil(widget.meta.isVisible)
        assert_plain(widget.status, f"The reply failed: {reply.error}")
        assert_plain(widget.meta, f"{payload} · OpenAI-compatible")
        tip = shown(widget.meta.toolTip()).split("\n")
        assert tip[0] == f"Written by {payload} · OpenAI-compatible"

        dialog = DialogDriver(qtbot, window).open()
        assert dialog.base_url.text() == f"{hostile.url}/v1"  # the backend's own settings
        result = DialogDriver(qtbot, window).test_connection(dialog)
        assert payload in result
        assert_plain(dialog.result_label, result)
        window.grab()
        dialog.grab()  # painted: any image would be loaded now
        dialog.reject()
        assert "/v1/chat/completions" in hostile.paths and "/v1/models" in hostile.paths
    assert watch.opens() == 0


def test_html_in_a_fence_label_and_a_title(
    window: MainWindow,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    image: Path,
    watch: OpenWatch,
) -> None:
    d = driver(window)
    d.send("```<h1>BIG</h1>\nx = 1\n```\n", paste=True)
    d.wait_reply_done()
    body = window.chat_view.widgets[-1].body
    block = first_child(qtbot, body, CodeBlock)
    assert_plain(block.label, "<h1>BIG</h1>")

    payload = html(image)
    cid = window.controller.current_id
    window.controller.rename(cid, payload)  # PATCH; the list shows the backend's answer
    conversations = window.controller.conversations
    qtbot.waitUntil(lambda: listed(window, cid).title == payload, timeout=WAIT_MS)
    index = conversations.index(conversations.row_of(cid))
    assert index.data(Qt.ItemDataRole.DisplayRole) == payload  # an item view paints it plain
    assert shown(index.data(Qt.ItemDataRole.ToolTipRole)) == payload

    asked: list[tuple[Qt.TextFormat, str]] = []

    def answer_no() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer_no)
            return
        asked.append((box.textFormat(), box.text()))
        box.grab()
        box.button(QMessageBox.StandardButton.Cancel).click()  # keep it

    QTimer.singleShot(0, answer_no)
    window.sidebar.delete_current()  # runs the confirmation box until answered
    assert asked, "no confirmation was asked"
    fmt, text = asked[0]
    assert fmt == Qt.TextFormat.PlainText
    assert shown(text, fmt).startswith(f"Delete “{payload}”?\n\nIts messages, every branch")
    assert conversations.get(cid) is not None  # "Cancel" kept it
    window.sidebar.list.grab()
    window.grab()
    assert watch.opens() == 0


def test_html_from_a_connected_backend_in_the_banner(
    qtbot: QtBot, ui_settings: UiSettings, image: Path, watch: OpenWatch
) -> None:
    payload = html(image)
    with HostileServer(payload) as hostile:
        window = build_window(LaunchConfig(connect_url=hostile.url, token="t"), ui_settings)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.launcher.failed, timeout=WAIT_MS):
            window.start()
        assert payload in window.banner.text()
        assert_plain(window.banner, window.backend_error)
        window.grab()
        window.close()
    assert watch.opens() == 0
