"""The Settings dialog end to end: the real window, the real embedded backend, and a real
loopback fake OpenAI-compatible upstream (tests/openai/oai_support.py).

The OS keyring cannot run here: an in-memory `keyring` backend stands in for it, and the
"fail" backend plays a machine without any.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from backend.embedded import EmbeddedServer
from desktop.client import ChatClient
from desktop.prefs.keystore import SERVICE, USERNAME
from desktop.prefs.ui import UiSettings
from desktop.theme import apply_theme, current_theme
from desktop.views.main_window import MainWindow
from desktop.views.settings_dialog import SettingsDialog
from desktop.workers import LaunchConfig
from tests.support.settings_dialog import (
    KEY,
    DialogDriver,
    FakeUpstream,
    MemoryKeyring,
    Upstream,
    closed_port,
    serving,
)
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


@pytest.fixture(autouse=True)
def _default_theme() -> Iterator[None]:
    yield
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, "system")  # later tests start from the default look


@pytest.fixture
def dialogs(qtbot: QtBot) -> Callable[[MainWindow], DialogDriver]:
    return lambda window: DialogDriver(qtbot, window)


class Opened(NamedTuple):
    window: MainWindow
    d: DialogDriver
    dialog: SettingsDialog


@pytest.fixture
def open_settings(
    make_window: WindowFactory, dialogs: Callable[[MainWindow], DialogDriver]
) -> Callable[[], Opened]:
    """A new window (echo replies at once) with its Settings dialog open."""

    def make() -> Opened:
        window = make_window(echo_delay=0.0)
        d = dialogs(window)
        return Opened(window, d, d.open())

    return make


def _settings_file(ui_settings: UiSettings) -> str:
    ui_settings.sync()
    return Path(ui_settings.store.fileName()).read_text(encoding="utf-8")


def _fill_openai(d: DialogDriver, dialog: SettingsDialog, upstream: Upstream, key: str) -> None:
    d.choose_openai(dialog)
    d.type_into(dialog.base_url, upstream.base_url)
    d.type_into(dialog.api_key, key)


def test_happy_path_through_the_dialog(
    driver: Callable[[MainWindow], Driver],
    upstream: Upstream,
    memory_keyring: MemoryKeyring,
    ui_settings: UiSettings,
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
    open_settings: Callable[[], Opened],
) -> None:
    caplog.set_level(logging.DEBUG)
    window, d, dialog = open_settings()
    assert dialog.api_key.echoMode() == dialog.api_key.EchoMode.Password
    assert "system keyring" in dialog.key_note.text()
    _fill_openai(d, dialog, upstream, KEY)
    assert dialog.api_key.text() == KEY and dialog.api_key.displayText() != KEY  # hidden
    dialog.show_key.setChecked(True)
    assert dialog.api_key.displayText() == KEY
    dialog.show_key.setChecked(False)

    assert d.fetch_models(dialog) == ["llama3.2", "qwen2.5:7b"]
    assert "2 models" in dialog.result_label.text()
    dialog.model.setCurrentIndex(dialog.model.findText("qwen2.5:7b"))
    d.type_into(dialog.system_prompt, "Be brief.")
    result = d.test_connection(dialog)
    assert result.startswith("✓ Connected to") and "2 model(s)" in result, result
    d.save(dialog)

    # persisted: the key in the keyring only, the rest in QSettings
    assert memory_keyring.passwords == {(SERVICE, USERNAME): KEY}
    stored = _settings_file(ui_settings)
    assert KEY not in stored
    assert "qwen2.5:7b" in stored and upstream.base_url in stored
    # applied: the backend now answers from the upstream
    client = window.controller.client
    assert client is not None
    backend = client.get_settings()
    assert backend["provider"] == "openai" and backend["model"] == "qwen2.5:7b"
    assert backend["api_key_set"] is True

    w = driver(window)
    upstream.fake.chunk_pause = 0.03  # a rate needs time between the first token and the end
    w.send("Hi there")
    w.wait_reply_done()
    reply = w.last_reply()
    assert (reply.content, reply.status) == ("Hello, world!", "complete")
    assert (reply.provider, reply.model) == ("openai-compatible", "qwen2.5:7b")
    meta = window.chat_view.widgets[-1].meta
    assert meta.isVisible() and meta.text().startswith("qwen2.5:7b · OpenAI-compatible")
    stats = reply.stats  # the upstream reported usage: the line has its figures (item 6)
    assert stats is not None and stats.completion_tokens
    assert " tok/s · " in meta.text() and " s to first token · " in meta.text()
    assert meta.text().endswith(f" · {stats.completion_tokens:,} tokens")
    assert f"Reply: {stats.completion_tokens:,} tokens" in meta.toolTip()
    assert not window.chat_view.widgets[0].meta.isVisible()  # nothing under the user's
    sent = upstream.fake.last.body
    assert sent["model"] == "qwen2.5:7b"
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert upstream.fake.last.headers["authorization"] == f"Bearer {KEY}"

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "qwen2.5:7b" in logged  # the log did see this test's settings ...
    assert KEY not in logged  # ... but never the key


def test_echo_replies_show_echo_and_first_launch_keeps_the_backends_settings(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    dialogs: Callable[[MainWindow], DialogDriver],
    memory_keyring: MemoryKeyring,
    qtbot: QtBot,
) -> None:
    window = make_window(echo_delay=0.0)
    qtbot.waitUntil(lambda: window.controller.runner.pending == 0, timeout=WAIT_MS)
    w = driver(window)
    w.send("ping")
    w.wait_reply_done()
    assert window.chat_view.widgets[-1].meta.text().split(" · ")[0] == "echo"
    dialog = dialogs(window).open()
    assert dialog.provider.currentData() == "echo"
    assert dialog.echo_delay.value() == 0.0  # the backend's own (not pushed over)
    assert not dialog.server_box.isEnabled()
    result = dialogs(window).test_connection(dialog)
    assert "echo provider needs no connection" in result
    dialog.reject()
    assert memory_keyring.passwords == {}


def test_failures_are_readable_in_the_dialog_and_on_the_reply(
    driver: Callable[[MainWindow], Driver],
    upstream: Upstream,
    memory_keyring: MemoryKeyring,
    qtbot: QtBot,
    open_settings: Callable[[], Opened],
) -> None:
    window, d, dialog = open_settings()
    _fill_openai(d, dialog, upstream, "sk-wrong")
    result = d.test_connection(dialog)
    assert result.startswith("✗") and "401" in result and "Incorrect API key" in result, result
    assert dialog.result_label.property("severity") == "error"
    assert d.fetch_models(dialog) == []
    assert "Could not fetch the models" in dialog.result_label.text()

    refused = f"http://127.0.0.1:{closed_port()}/v1"
    d.type_into(dialog.base_url, refused)
    result = d.test_connection(dialog)
    assert result.startswith("✗") and "refused" in result, result

    d.type_into(dialog.base_url, "localhost:11434")  # not a URL: said so, nothing sent
    dialog.test_button.click()
    assert "base URL" in dialog.result_label.text() and dialog.test_button.isEnabled()

    # Save with the right key and a typed model whose stream breaks after two chunks
    d.type_into(dialog.base_url, upstream.base_url)
    d.type_into(dialog.api_key, KEY)
    dialog.model.setEditText("")
    dialog.save_button.click()  # no model: refused in the dialog
    assert "model" in dialog.result_label.text() and dialog.isVisible()
    dialog.model.setFocus()
    qtbot.keyClicks(dialog.model, "error-chunk")
    d.save(dialog)

    w = driver(window)
    w.send("Hello?")
    w.wait_reply_done()
    reply = w.last_reply()
    assert reply.status == "failed" and reply.content == "Hello"  # the partial text is kept
    widget = window.chat_view.widgets[-1]
    assert "context length exceeded" in widget.status.text(), widget.status.text()
    assert widget.status.property("severity") == "error"
    assert widget.retry_button.isVisible()
    assert widget.meta.text().startswith("error-chunk · OpenAI-compatible")

    # the wrong key, saved: the reply says so, and Retry is there
    dialog = d.open()
    d.type_into(dialog.api_key, "sk-wrong")
    dialog.model.setEditText("llama3.2")
    d.save(dialog)
    window.controller.actions.regenerate_last()  # Ctrl+R: retry with the new settings
    qtbot.waitUntil(lambda: w.last_reply().model == "llama3.2", timeout=WAIT_MS)
    w.wait_reply_done()
    widget = window.chat_view.widgets[-1]
    assert w.last_reply().status == "failed"
    assert "rejected the API key" in widget.status.text(), widget.status.text()
    assert widget.retry_button.isVisible()


def test_a_save_the_backend_cannot_take_keeps_the_dialog_open(
    make_window: WindowFactory,
    dialogs: Callable[[MainWindow], DialogDriver],
    memory_keyring: MemoryKeyring,
    ui_settings: UiSettings,
    server: EmbeddedServer,
    qtbot: QtBot,
) -> None:
    window = make_window(launch=LaunchConfig(connect_url=server.base_url, token=server.token))
    dialog = dialogs(window).open()
    dialog.echo_delay.setValue(0.5)
    server.stop()  # the `serve` process went away
    dialog.save_button.click()
    assert dialog.busy.isVisible() and not dialog.save_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("✗"), timeout=WAIT_MS)
    text = dialog.result_label.text()
    assert text.startswith("✗ Not saved: Cannot reach the chat backend"), text
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert "provider/provider" not in ui_settings.store.allKeys()  # nothing persisted
    assert memory_keyring.passwords == {}
    dialog.reject()


def test_settings_persist_and_are_pushed_at_start_also_with_connect(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    dialogs: Callable[[MainWindow], DialogDriver],
    upstream: Upstream,
    memory_keyring: MemoryKeyring,
    ui_settings: UiSettings,
    server: EmbeddedServer,
    api: ChatClient,
    qtbot: QtBot,
    open_settings: Callable[[], Opened],
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    first, d, dialog = open_settings()
    _fill_openai(d, dialog, upstream, KEY)
    dialog.model.setEditText("llama3.2")
    dialog.temperature.setValue(0.3)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    assert current_theme(app) == ("dark", "dark")  # applied at once
    d.save(dialog)
    # the theme: Cancel puts the saved one back
    dialog = d.open()
    assert dialog.theme.currentData() == "dark"
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    assert current_theme(app)[1] == "light"
    dialog.reject()
    assert current_theme(app) == ("dark", "dark")
    first.close()

    # relaunch on the same settings file, connected to a running `serve` (echo so far)
    assert api.get_settings()["provider"] == "echo"
    relaunched = UiSettings(QSettings(ui_settings.store.fileName(), QSettings.Format.IniFormat))
    launch = LaunchConfig(connect_url=server.base_url, token=server.token)
    second = make_window(launch=launch, settings=relaunched)
    qtbot.waitUntil(lambda: api.get_settings()["provider"] == "openai", timeout=WAIT_MS)
    pushed = api.get_settings()
    assert (pushed["base_url"], pushed["model"]) == (upstream.base_url, "llama3.2")
    assert (pushed["temperature"], pushed["api_key_set"]) == (0.3, True)

    dialog = dialogs(second).open()  # the saved values, the key from the keyring
    assert dialog.provider.currentData() == "openai"
    assert (dialog.base_url.text(), dialog.model.currentText()) == (upstream.base_url, "llama3.2")
    assert dialog.api_key.text() == KEY and dialog.temperature.value() == pytest.approx(0.3)
    dialog.reject()

    w = driver(second)
    w.send("Hi")
    w.wait_reply_done()
    assert w.last_reply().content == "Hello, world!"
    assert second.chat_view.widgets[-1].meta.text().startswith("llama3.2 · OpenAI-compatible")


def test_without_a_keyring_the_key_goes_to_the_settings_file_with_a_warning(
    make_window: WindowFactory,
    dialogs: Callable[[MainWindow], DialogDriver],
    upstream: Upstream,
    no_keyring: None,
    ui_settings: UiSettings,
    qtbot: QtBot,
    open_settings: Callable[[], Opened],
) -> None:
    window, d, dialog = open_settings()
    assert not dialog.key_note.isVisible()  # Echo uses no key (issue 15 item 11)
    d.choose_openai(dialog)
    assert dialog.key_note.isVisible()
    assert "No system keyring" in dialog.key_note.text()
    assert ui_settings.store.fileName() in dialog.key_note.text()
    assert dialog.key_note.property("severity") == "error"
    # where the key is kept, and who can read it (issue 11, item 7)
    assert "only your user account" in dialog.key_note.text()
    assert getpass.getuser() in dialog.key_note.text()
    _fill_openai(d, dialog, upstream, KEY)
    dialog.model.setEditText("llama3.2")
    with qtbot.waitSignal(window.provider_settings.key_stored) as stored:
        dialog.save_button.click()
    assert stored.args == [False]
    assert KEY in _settings_file(ui_settings)
    window.close()

    again = make_window(echo_delay=0.0)  # the key comes back from the file, and is pushed
    client = again.controller.client
    assert client is not None
    qtbot.waitUntil(lambda: client.get_settings()["api_key_set"] is True, timeout=WAIT_MS)
    dialog = dialogs(again).open()
    assert dialog.api_key.text() == KEY and "No system keyring" in dialog.key_note.text()
    dialog.reject()


def test_another_server_in_the_dialog_asks_for_the_key_again(
    upstream: Upstream,
    memory_keyring: MemoryKeyring,
    open_settings: Callable[[], Opened],
) -> None:
    """Issue 11, item 2: the saved key belongs to its server's origin. Typing another
    server's URL empties the key field (the saved key is never sent there); going back to
    the key's own server brings it back; saving another server without a key clears it."""
    listener_fake = FakeUpstream(api_key=None)  # records whatever it is sent
    with serving(listener_fake.app()) as listener_server:
        listener = Upstream(listener_fake, listener_server)
        window, d, dialog = open_settings()
        _fill_openai(d, dialog, upstream, KEY)
        dialog.model.setEditText("llama3.2")
        d.save(dialog)

        dialog = d.open()
        assert dialog.api_key.text() == KEY
        d.type_into(dialog.base_url, listener.base_url)
        assert dialog.api_key.text() == ""
        assert "key for this server" in dialog.api_key.placeholderText()
        assert d.test_connection(dialog).startswith("✓")
        assert [r.headers.get("authorization") for r in listener_fake.requests] == [None]

        d.type_into(dialog.base_url, upstream.base_url + "/")  # the key's own origin
        assert dialog.api_key.text() == KEY
        d.type_into(dialog.base_url, listener.base_url)
        d.save(dialog)
        client = window.controller.client
        assert client is not None and client.get_settings()["api_key_set"] is False
        assert memory_keyring.passwords == {}
        assert KEY not in str(listener_fake.requests)
        listener_fake.release.set()
