"""`ProviderSettings`, `Settings.provider_settings` and `build_responder`, without a server."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from backend.config import ProviderSettings, Settings
from backend.openai.upstream import OpenAICompatResponder
from backend.providers import InvalidProviderSettings, ProviderState, build_responder, describe
from backend.responders import EchoResponder

SECRET = "sk-very-secret"


def test_the_key_stays_out_of_reprs_and_descriptions() -> None:
    settings = ProviderSettings("openai", "http://user:pw@localhost:11434/v1", SECRET, "llama3.2")
    for text in (repr(settings), repr(build_responder(settings)), describe(settings)):
        assert SECRET not in text
    assert "pw@" not in describe(settings) and "an API key" in describe(settings)
    assert SECRET not in repr(Settings(data_dir=Path("x"), provider=settings))


def test_settings_default_to_echo_at_their_echo_delay() -> None:
    settings = Settings(data_dir=Path("x"))
    assert settings.provider_settings == ProviderSettings()
    slower = replace(settings, echo_delay=0.3)  # as desktop/app.py does
    assert slower.provider_settings == ProviderSettings(echo_delay=0.3)
    chosen = ProviderSettings("openai", "http://h/v1", model="m")
    assert replace(settings, provider=chosen).provider_settings is chosen


def test_build_responder_picks_the_provider() -> None:
    echo = build_responder(ProviderSettings(echo_delay=0.2))
    assert isinstance(echo, EchoResponder) and echo.delay == 0.2
    upstream = build_responder(
        ProviderSettings("openai", " http://h:1/v1/ ", "", " m ", "sys", 0.5)
    )
    assert isinstance(upstream, OpenAICompatResponder)
    assert (upstream.base_url, upstream.model, upstream.temperature) == ("http://h:1/v1", "m", 0.5)
    assert upstream.payload([])["messages"] == [{"role": "system", "content": "sys"}]
    with pytest.raises(InvalidProviderSettings, match="base_url.*; model"):
        build_responder(ProviderSettings("openai", "file:///etc", model=""))


def test_provider_state_swaps_and_logs_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    state = ProviderState(ProviderSettings(echo_delay=0))
    first = state.current()
    with caplog.at_level(logging.INFO, logger="backend.providers"):
        state.apply(ProviderSettings("openai", "http://h/v1", SECRET, "m"))
    assert state.current() is not first and state.current().model == "m"
    assert "OpenAI-compatible server http://h/v1" in caplog.text and SECRET not in caplog.text
    with pytest.raises(InvalidProviderSettings):
        state.apply(ProviderSettings(temperature=9))
    assert state.settings.provider == "openai"  # unchanged by a refused change
