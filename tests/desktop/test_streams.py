"""The stream worker: resume after a dropped connection, give up with Retry, stop promptly."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from backend.config import Settings
from backend.embedded import EmbeddedServer
from desktop.client import ChatClient
from desktop.models import MessageListModel
from desktop.records import Message
from desktop.views.main_window import MainWindow
from desktop.workers import LaunchConfig, StreamWorker, change_worker
from tests.support.tcp_proxy import ControlledProxy
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def _spy_on_deltas(monkeypatch: pytest.MonkeyPatch, seen: Callable[[str, str], None]) -> None:
    """Calls `seen(mid, text)` for every piece of text a model receives."""
    original = MessageListModel.append_delta

    def spy(self: MessageListModel, mid: str, text: str) -> None:
        seen(mid, text)
        original(self, mid, text)

    monkeypatch.setattr(MessageListModel, "append_delta", spy)


@pytest.fixture
def deltas(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every piece of text the models received, per message (to spot lost or doubled text)."""
    seen: dict[str, list[str]] = {}
    _spy_on_deltas(monkeypatch, lambda mid, text: seen.setdefault(mid, []).append(text))
    return seen


class Proxied(NamedTuple):
    window: MainWindow
    d: Driver
    proxy: ControlledProxy


@pytest.fixture
def proxied(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    server: EmbeddedServer,
    proxy: ControlledProxy,
) -> Proxied:
    """A window whose connection to the backend runs through `proxy` (to drop or close)."""
    window = make_window(launch=LaunchConfig(connect_url=proxy.url, token=server.token))
    return Proxied(window, driver(window), proxy)


def _streamed_once(p: Proxied, deltas: dict[str, list[str]], text: str, requests: int) -> Message:
    """The reply, once done: it streamed in over `requests` or more event requests, each
    piece of `text` exactly once, and is stored complete."""
    p.d.wait_reply_done()
    reply = p.d.last_reply()
    assert p.proxy.event_requests >= requests
    assert "".join(deltas[reply.id]) == text  # what streamed in: nothing lost or doubled
    assert reply.content == text and reply.status == "complete"
    return reply


def test_dropped_connection_resumes_without_loss_or_doubling(
    proxied: Proxied, deltas: dict[str, list[str]]
) -> None:
    window, d, proxy = proxied
    text = "".join(f"{i:03d}|" for i in range(40))  # 160 chars, ~3 s at 20 ms each
    d.send(text, paste=True)
    d.wait_reply_chars(20)
    assert proxy.event_requests == 1
    proxy.drop()
    d.wait_reply_chars(60)
    proxy.drop()  # and once more
    _streamed_once(proxied, deltas, text, requests=3)
    assert window.chat_view.widgets[-1].text == text
    assert not window.banner.isVisibleTo(window)


def test_a_reply_with_reasoning_resumes_after_its_reasoning(
    proxied: Proxied, deltas: dict[str, list[str]]
) -> None:
    """Event ids count the reasoning's code points too (PROTOCOL.md section 4), so a
    resume during the answer asks for what follows both: the answer is not doubled."""
    _window, d, proxy = proxied
    answer = "".join(f"{i:03d}|" for i in range(40))
    d.send(f"<think>{'r' * 40}</think>{answer}", paste=True)
    d.wait_reply_chars(20)
    proxy.drop()
    _streamed_once(proxied, deltas, answer, requests=2)


def test_lost_backend_gives_up_with_retry(
    proxied: Proxied, deltas: dict[str, list[str]], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, d, proxy = proxied
    window.controller.streams.backoff = (0.05, 0.05, 0.05)
    # The change stream stays away meanwhile: once back it would bring the finished reply
    # whole (1 run in 6 on a busy machine: the retry then had nothing left to stream).
    monkeypatch.setattr(change_worker, "RETRY", (30.0,))
    # 6 s of echo at 0.02 s a character: the reply is still streaming when the proxy closes,
    # however late a busy machine shows the first characters
    text = "r" * 100 + "s" * 100 + "t" * 100
    d.send(text, paste=True)
    d.wait_reply_chars(10)
    proxy.close()  # the backend is unreachable from now on
    widget = window.chat_view.widgets[-1]
    qtbot.waitUntil(lambda: widget.retry_button.isVisibleTo(window), timeout=WAIT_MS)
    assert "Connection lost" in widget.status.text()
    assert window.banner.isVisibleTo(window) and "Lost the connection" in window.banner.text()
    partial = d.last_reply().content
    assert partial and text.startswith(partial)

    proxy.reopen()
    qtbot.mouseClick(widget.retry_button, Qt.MouseButton.LeftButton)
    _streamed_once(proxied, deltas, text, requests=1)
    assert not widget.retry_button.isVisibleTo(window)
    assert "Connection lost" not in widget.status.text()


def test_stop_is_prompt_while_the_stream_is_silent(tmp_path: Path, qtbot: QtBot) -> None:
    with EmbeddedServer(Settings(data_dir=tmp_path, echo_delay=5.0)) as srv:
        client = ChatClient(srv.base_url, srv.token)
        conv = client.create_conversation()
        turn = client.send_message(conv.id, "ab")
        worker = StreamWorker(client, turn.reply.id)
        try:
            with qtbot.waitSignal(worker.text_ready, timeout=WAIT_MS) as first:
                worker.start()
            assert first.args == [turn.reply.id] and worker.take() == "a"
            qtbot.wait(100)  # now the stream is silent for ~5 s
            started = time.monotonic()
            worker.stop()
            assert worker.wait(2000)
            assert time.monotonic() - started < 0.2
        finally:
            worker.stop()
            worker.wait()
            client.cancel(turn.reply.id)
            client.close()


def test_unknown_reply_fails_readably(server: EmbeddedServer, qtbot: QtBot) -> None:
    client = ChatClient(server.base_url, server.token)
    worker = StreamWorker(client, "no-such-message")
    try:
        with (
            qtbot.waitSignal(worker.done, timeout=WAIT_MS),
            qtbot.waitSignal(worker.failed, timeout=WAIT_MS) as failed,
        ):
            worker.start()
        assert failed.args[1].startswith("That item no longer exists")
    finally:
        worker.wait()
        client.close()


def test_worker_gives_up_when_nothing_listens(qtbot: QtBot) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ChatClient(f"http://127.0.0.1:{port}", "t")
    worker = StreamWorker(client, "m", backoff=(0.01, 0.01))
    attempts: list[int] = []
    worker.reconnecting.connect(lambda _mid, n: attempts.append(n))
    try:
        with qtbot.waitSignal(worker.failed, timeout=WAIT_MS) as failed:
            worker.start()
        assert "Lost the connection to the chat backend" in failed.args[1]
        qtbot.waitUntil(lambda: attempts == [1, 2])
    finally:
        worker.wait()
        client.close()


def test_stopping_a_reply_whose_stream_was_lost(proxied: Proxied, qtbot: QtBot) -> None:
    window, d, proxy = proxied
    window.controller.streams.backoff = (0.02,)
    d.send("q" * 300, paste=True)
    d.wait_reply_chars(5)
    proxy.close()
    widget = window.chat_view.widgets[-1]
    qtbot.waitUntil(lambda: widget.retry_button.isVisibleTo(window), timeout=WAIT_MS)
    assert window.composer.send_button.text() == "Stop"  # the reply still runs server-side
    proxy.reopen()
    d.press(Qt.Key.Key_Escape)
    d.wait_reply_done()
    reply = d.last_reply()
    assert reply.status == "cancelled" and 0 < len(reply.content) < 300
    assert window.composer.send_button.text() == "Send"


def test_fast_deltas_reach_the_model_at_most_once_per_frame(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> None:
    """However fast the deltas come, the reply's model (and so its view) is updated at
    most once per frame; what arrives after a quiet frame is applied at once."""
    updates: list[tuple[float, str]] = []
    _spy_on_deltas(monkeypatch, lambda _mid, text: updates.append((time.monotonic(), text)))
    window = make_window(echo_delay=0.001)  # ~1,000 events a second
    d = driver(window)
    text = "".join(f"{i:04d} " for i in range(160))  # 800 characters
    d.send(text, paste=True)
    worker = window.controller.worker_for(d.last_reply().id)
    assert worker is not None
    d.wait_reply_done()
    assert "".join(t for _, t in updates) == text
    # many of the responder's one-character chunks per update (the server merges chunks
    # into fewer events, too: section 4)
    assert len(updates) * 2 < len(text), (len(text), len(updates), worker.delta_events)
    times = [t for t, _ in updates[:-1]]  # (the last one comes with the end: at once)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.015, gaps  # one frame = 16 ms (a coarse timer may be 5% early)


def test_finished_streams_leave_no_session_behind(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver]
) -> None:
    """Each followed reply has a session of its own; once it ends, the client lets go of
    it (the 30-minute soak found one leaked session, with its pools and locks, per reply)."""
    window = make_window()
    d = driver(window)
    client = window.controller.client
    assert client is not None
    d.send("first")
    d.wait_reply_done()
    settled = client.open_sessions
    for i in range(6):
        d.send(f"message {i}")
        d.wait_reply_done()
    assert client.open_sessions <= settled


def test_resume_counts_reasoning_so_nothing_is_doubled(
    proxied: Proxied, server: EmbeddedServer, deltas: dict[str, list[str]], qtbot: QtBot
) -> None:
    """A reply that reasons (the echo responder: `<think>...</think>`), its stream cut
    mid-reasoning and again mid-answer: the resume offset counts the reasoning too, so
    the window ends with exactly the stored reasoning and content, nothing doubled."""
    window, d, proxy = proxied
    plan = "".join(f"r{i:02d}," for i in range(20))  # 80 chars of reasoning
    answer = "".join(f"a{i:02d}|" for i in range(20))  # 80 chars of answer
    d.send(f"<think>{plan}</think>{answer}", paste=True)
    qtbot.waitUntil(lambda: len(d.last_reply().reasoning) >= 20, timeout=WAIT_MS)
    proxy.drop()  # mid-reasoning
    d.wait_reply_chars(20)
    proxy.drop()  # mid-answer
    reply = _streamed_once(proxied, deltas, answer, requests=3)
    client = ChatClient(server.base_url, server.token)
    last = client.get_conversation(reply.conversation_id).messages[-1]
    client.close()
    assert (last.reasoning, last.content) == (plan, answer)
    assert (reply.reasoning, reply.content, reply.status) == (plan, answer, "complete")
    assert window.chat_view.widgets[-1].text == answer
