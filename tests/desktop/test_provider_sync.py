"""`ProviderSettingsManager` (desktop/prefs/sync.py) against the real backend: answers of
the thread pool's calls come back in any order, and an old one must not undo a save."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from desktop.client import ChatClient
from desktop.prefs.keystore import KeyStore
from desktop.prefs.provider import ProviderConfig, ProviderStore
from desktop.prefs.sync import ProviderSettingsManager
from desktop.workers.api import ApiRunner
from tests.support.fake_openai import Upstream
from tests.support.settings_dialog import KEY, MemoryKeyring


class HeldReads:
    """A real client whose `get_settings` answer is held until `gate` is set (read at
    once, delivered late)."""

    def __init__(self, client: ChatClient, gate: threading.Event) -> None:
        self._client = client
        self._gate = gate

    def get_settings(self) -> dict[str, Any]:
        answer = self._client.get_settings()
        self._gate.wait(10)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_the_start_up_read_answered_after_a_save_does_not_undo_it(
    api: ChatClient,
    upstream: Upstream,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    store = ProviderStore(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    runner = ApiRunner()
    try:
        manager = ProviderSettingsManager(store, runner, KeyStore())
        gate = threading.Event()
        manager.attach(cast(ChatClient, HeldReads(api, gate)))  # nothing saved: it asks
        chosen = ProviderConfig("openai", upstream.base_url, "llama3.2")
        outcome: list[object] = []
        with qtbot.waitSignal(manager.key_stored):
            manager.save(
                chosen, KEY, on_done=lambda: outcome.append("saved"), on_error=outcome.append
            )
        assert outcome == ["saved"] and manager.config.provider == "openai"
        gate.set()  # the backend's settings as they were before the save come back now
        qtbot.waitUntil(lambda: runner.pending == 0)
        assert (manager.config.provider, manager.config.base_url) == ("openai", upstream.base_url)
        assert api.get_settings()["provider"] == "openai"
    finally:
        runner.shutdown()
