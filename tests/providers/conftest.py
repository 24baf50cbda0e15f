"""Fixtures for the provider settings: the real backend and a fake OpenAI upstream, on loopback.

The fake upstream is tests/openai's (`oai_support`); that folder has no `__init__.py` (so it
never shadows the `openai` package), so it is put on `sys.path` here to import it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT, ROOT / "tests" / "openai", Path(__file__).resolve().parent):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from oai_support import FakeUpstream, Upstream, serving  # noqa: E402
from provider_helpers import Api  # noqa: E402

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    fake = FakeUpstream()
    with serving(fake.app()) as server:
        try:
            yield Upstream(fake, server)
        finally:
            fake.release.set()  # let stalled handlers finish so uvicorn can stop


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    settings = Settings(data_dir=tmp_path / "data", echo_delay=0, persist_interval=0.05)
    with EmbeddedServer(settings) as embedded:
        yield embedded


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server.base_url, server.token)
