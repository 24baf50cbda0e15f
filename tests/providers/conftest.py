"""Fixtures for the provider settings: the real backend and a fake OpenAI upstream, on loopback.

The fake upstream (`upstream`) is the root tests/conftest.py's; `provider_helpers` is put on
`sys.path` here (this folder has no `__init__.py`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT, Path(__file__).resolve().parent):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from provider_helpers import Api  # noqa: E402

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    settings = Settings(data_dir=tmp_path / "data", echo_delay=0, persist_interval=0.05)
    with EmbeddedServer(settings) as embedded:
        yield embedded


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server.base_url, server.token)
