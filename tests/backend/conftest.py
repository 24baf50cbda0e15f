"""Fixtures for the backend's own tests: a real server on loopback, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.responders import Responder
from tests.support.backend_helpers import Api, FailingResponder, StallingResponder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", echo_delay=0.001, persist_interval=0.05)


def _serve(settings: Settings, responder: Responder | None = None) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(settings, responder)
    server.start(timeout=10)
    try:
        yield server
    finally:
        server.stop(timeout=5)


@pytest.fixture
def server(settings: Settings) -> Iterator[EmbeddedServer]:
    yield from _serve(settings)


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server.base_url, server.token)


@pytest.fixture
def stalling_api(settings: Settings) -> Iterator[Api]:
    for server in _serve(settings, StallingResponder()):
        yield Api(server.base_url, server.token)


@pytest.fixture
def failing_api(settings: Settings) -> Iterator[Api]:
    for server in _serve(settings, FailingResponder()):
        yield Api(server.base_url, server.token)
