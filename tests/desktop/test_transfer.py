"""Export conversation / Export all / Import from the window: files 0600, progress, summary."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop.views import transfer
from desktop.views.main_window import MainWindow
from desktop.views.transfer import file_name_of
from tests.support.window_driver import WAIT_MS, Driver


def gpt_conversation(n: int, text: str) -> dict[str, Any]:
    def node(mid: str, parent: str | None, role: str, words: str) -> dict[str, Any]:
        content = {"content_type": "text", "parts": [words]}
        return {"parent": parent, "message": {"author": {"role": role}, "content": content}}

    return {
        "title": f"From ChatGPT {n}",
        "conversation_id": f"gpt-{n}",
        "current_node": "a",
        "mapping": {"u": node("u", None, "user", text), "a": node("a", "u", "assistant", text)},
    }


def test_file_names_from_titles() -> None:
    assert file_name_of('a/b: "c"?') == "a_b_ _c"
    assert file_name_of("../..") == "conversation"


def test_export_and_import(
    window: MainWindow,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d = driver(window)
    flows = window.transfer
    d.send("Plan: the *export* test")
    d.wait_reply_done()
    cid = window.controller.current_id
    asked: list[str] = []

    def save_as(path: Path, chosen: str) -> Callable[[str, str, str], tuple[str, str]]:
        def choose(_caption: str, name: str, _filters: str) -> tuple[str, str]:
            asked.append(name)
            return str(path), chosen

        return choose

    md = tmp_path / "out" / "plan.md"
    md.parent.mkdir()
    monkeypatch.setattr(flows, "choose_save_path", save_as(md, "Markdown (*.md)"))
    with qtbot.waitSignal(flows.finished, timeout=WAIT_MS):
        window.sidebar.menu_for(cid).actions()[2].trigger()  # the row menu's Export…
    # the title as the file name, in the home folder (not wherever the app was started)
    assert asked == [str(Path.home() / "Plan_ the export test.md")]
    assert "the *export* test" in md.read_text()
    assert stat.S_IMODE(md.stat().st_mode) == 0o600

    everything = tmp_path / "out" / "all.json"
    monkeypatch.setattr(flows, "choose_save_path", save_as(everything, "JSON (*.json)"))
    with qtbot.waitSignal(flows.finished, timeout=WAIT_MS):
        flows.export_all_action.trigger()
    assert asked[1] == str(md.parent / "sse-chat.json")  # then the folder last chosen
    doc = json.loads(everything.read_text())
    assert [c["id"] for c in doc["conversations"]] == [cid]
    assert stat.S_IMODE(everything.stat().st_mode) == 0o600

    # import a ChatGPT export, big enough to be sent in many chunks: the bar moves
    long = "word " * 2000
    items: list[Any] = [gpt_conversation(n, long) for n in range(3)]
    items.append({"title": "Broken one", "mapping": "not a mapping"})
    source = tmp_path / "conversations.json"
    source.write_text(json.dumps(items))
    monkeypatch.setattr(transfer, "CHUNK", 4096)
    steps: list[int] = []
    sent = flows._sent

    def counted(done: int, size: int) -> None:
        steps.append(done)
        sent(done, size)

    monkeypatch.setattr(flows, "_sent", counted)
    monkeypatch.setattr(flows, "choose_open_path", lambda: str(source))
    with qtbot.waitSignal(flows.finished, timeout=WAIT_MS) as done:
        flows.import_action.trigger()
    summary = done.args[0]
    assert summary.startswith("Imported 3 conversations, 6 messages; skipped 1: Broken one (")
    assert len(steps) >= 10 and steps == sorted(steps) and steps[-1] == source.stat().st_size
    assert flows.progress is None
    titles = lambda: {c.title for c in window.controller.conversations.conversations}  # noqa: E731
    qtbot.waitUntil(lambda: "From ChatGPT 2" in titles(), timeout=WAIT_MS)  # via `reset`

    # a file that is neither shape: the import fails and says why
    bad = tmp_path / "bad.json"
    bad.write_text("this is not JSON")
    with qtbot.waitSignal(flows.finished, timeout=WAIT_MS) as failed:
        flows.import_file(str(bad))
    assert failed.args[0].startswith("That did not work: The backend could not accept")
