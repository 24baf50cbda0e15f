"""Fixtures for the provider settings: the real backend and a fake OpenAI upstream, on loopback.

The fake upstream (`upstream`) is the root tests/conftest.py's; the helpers are in
`tests.support.provider_helpers`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.config import Settings
from backend.embedded import EmbeddedServer
from tests.support.provider_helpers import Api


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    settings = Settings(data_dir=tmp_path / "data", echo_delay=0, persist_interval=0.05)
    with EmbeddedServer(settings) as embedded:
        yield embedded


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server.base_url, server.token)
