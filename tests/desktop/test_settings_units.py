"""The pieces behind the Settings dialog: config, its QSettings store, the keyring store, and
the `ChatClient` methods for the provider routes (against the real backend)."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings

from desktop.client import ApiError, ChatClient
from desktop.prefs.keystore import KeyStore
from desktop.prefs.provider import ProviderConfig, ProviderStore
from desktop.prefs.ui import UiSettings
from desktop.records import Message
from desktop.views.message_meta import provenance
from tests.support.settings_dialog import KEY, MemoryKeyring


@pytest.fixture
def store(tmp_path: Path) -> ProviderStore:
    return ProviderStore(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


def test_config_bodies_and_problems() -> None:
    config = ProviderConfig("openai", " http://localhost:11434/v1 ", "llama3.2", "Hi", 0.5, 0)
    body = config.to_body(KEY)
    assert body == {
        "provider": "openai",
        "base_url": "http://localhost:11434/v1",
        "model": "llama3.2",
        "system_prompt": "Hi",
        "temperature": 0.5,
        "echo_delay": 0,
        "auto_title": True,
        "api_key": KEY,
    }
    assert "api_key" not in config.to_body(None)  # None keeps the backend's key
    assert config.check_body(None) == {
        "provider": "openai",
        "base_url": "http://localhost:11434/v1",
        "model": "llama3.2",
    }
    assert config.problems() == []
    assert ProviderConfig().problems() == []  # echo needs nothing
    bad = ProviderConfig("openai", "localhost:11434", "")
    assert len(bad.problems()) == 2 and "base URL" in bad.url_problem()
    assert KEY not in repr(config)


def test_config_from_the_backends_answer() -> None:
    answer = {
        "provider": "openai",
        "base_url": "http://x/v1",
        "model": "m",
        "system_prompt": "",
        "temperature": None,
        "echo_delay": 0.0,
        "api_key_set": True,
    }
    expected = ProviderConfig("openai", "http://x/v1", "m", echo_delay=0.0)
    assert ProviderConfig.from_backend(answer) == expected
    off = ProviderConfig.from_backend({**answer, "auto_title": False})
    assert off == ProviderConfig("openai", "http://x/v1", "m", echo_delay=0.0, auto_title=False)
    assert ProviderConfig.from_backend({"provider": "other"}).provider == "echo"


def test_store_round_trip_and_theme(store: ProviderStore) -> None:
    assert not store.has_saved() and store.load() == ProviderConfig()
    config = ProviderConfig("openai", "http://h:1/v1", "qwen", "Be brief.\nReally.", 0.3, 0.02)
    store.save(config)
    again = ProviderStore(QSettings(store.location, QSettings.Format.IniFormat))
    assert again.has_saved() and again.load() == config
    store.save(ProviderConfig(temperature=None, echo_delay=0.0, auto_title=False))
    assert store.load().temperature is None and store.load().echo_delay == 0.0
    reread = ProviderStore(QSettings(store.location, QSettings.Format.IniFormat))
    assert reread.load().auto_title is False  # an INI file gives "false" back
    ui = UiSettings(store.store)  # the theme is a UI setting, in the same file
    assert ui.theme == "system"
    ui.theme = "dark"
    assert UiSettings(QSettings(store.location, QSettings.Format.IniFormat)).theme == "dark"
    store.store.setValue("appearance/theme", "purple")

    def theme_now() -> str:  # read anew (mypy would keep the "dark" just assigned)
        return ui.theme

    def density_now() -> str:
        return ui.density

    assert theme_now() == "system"
    assert density_now() == "comfortable"
    ui.density = "compact"
    assert UiSettings(QSettings(store.location, QSettings.Format.IniFormat)).density == "compact"
    store.store.setValue("appearance/density", "roomy")
    assert density_now() == "comfortable"


def test_fallback_key_lives_only_in_its_own_entry(store: ProviderStore) -> None:
    store.set_fallback_key(KEY)
    assert store.fallback_key == KEY
    store.clear_fallback_key()
    assert store.fallback_key == "" and not store.store.contains("provider/api_key")


def test_keystore_with_a_keyring(memory_keyring: MemoryKeyring) -> None:
    keys = KeyStore()
    assert keys.available() and keys.get() == ""
    assert keys.set(KEY) and keys.get() == KEY
    assert keys.set("") and keys.get() == "" and memory_keyring.passwords == {}
    assert keys.set("")  # deleting nothing is fine
    assert KEY not in repr(keys)


def test_keystore_without_a_keyring() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        keys = KeyStore()
        assert not keys.available()
        assert keys.get() is None and keys.set(KEY) is False
    finally:
        keyring.set_keyring(previous)


def test_provenance_lines() -> None:
    assert provenance("echo", "echo") == "echo"
    assert provenance("openai-compatible", "llama3.2") == "llama3.2 · OpenAI-compatible"
    assert provenance(None, None) == ""
    assert provenance("something", "m") == "m · something"


def test_messages_carry_provider_and_model() -> None:
    data = {"id": "m1", "role": "assistant", "content": "x", "status": "failed"}
    msg = Message.from_json({**data, "provider": "echo", "model": "echo"}, "boom")
    assert (msg.provider, msg.model, msg.error) == ("echo", "echo", "boom")
    old = Message.from_json(data)  # a backend without the extension
    assert (old.provider, old.model, old.error) == (None, None, None)
    stored = Message.from_json({**data, "error": "upstream said no"})  # reloaded history
    assert stored.error == "upstream said no"


def test_client_provider_routes(api: ChatClient) -> None:
    settings = api.get_settings()
    assert settings["provider"] == "echo" and settings["api_key_set"] is False
    check = api.check_provider({"provider": "echo", "model": "echo"})
    assert check.ok and check.models == ["echo"] and check.model_found is True
    assert api.provider_models() == ["echo"]
    answer = api.put_settings(ProviderConfig(echo_delay=0.01).to_body(KEY))
    assert answer["api_key_set"] is True and KEY not in str(answer)
    with pytest.raises(ApiError) as refused:
        api.put_settings({"provider": "openai", "base_url": "nope", "model": "m"})
    assert refused.value.status == 422
    assert "base_url must be an http:// or https:// URL" in refused.value.message
    assert api.get_settings()["echo_delay"] == 0.01  # nothing changed
    down = ProviderConfig("openai", "http://127.0.0.1:9/v1", "m")
    result = api.check_provider(down.check_body(""))
    assert not result.ok and result.detail


def test_stats_figures_of_the_model_line() -> None:
    from desktop.records import Stats
    from desktop.views.message_meta import figures, full_figures

    full = Stats(first_token_ms=800, duration_ms=30_100, prompt_tokens=12, completion_tokens=1234)
    assert figures(full) == ["42 tok/s", "0.8 s to first token", "1,234 tokens"]
    assert full_figures(full) == [
        "First token after 800 ms",
        "Written in 30,100 ms",
        "Prompt: 12 tokens",
        "Reply: 1,234 tokens",
        "42.1 tokens per second",
    ]
    no_usage = Stats(first_token_ms=1500, duration_ms=4000)  # no token figures at all
    assert figures(no_usage) == ["1.5 s to first token"]
    assert figures(None) == [] and figures(Stats()) == []
