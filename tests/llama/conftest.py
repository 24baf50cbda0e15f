"""Fixtures for the llama.cpp tier: real `llama-server` processes and the real backend.

Two llama-servers, each started once per session on a free loopback port:

- `llama`: short replies (`N_PREDICT` tokens, at most `REASONING_BUDGET` of them reasoning,
  so every reply has both parts); the tests compare what the app stores with what the same
  request straight to llama.cpp answers.
- `llama_long`: replies that go on until the context is full (about 2,000 tokens, seconds),
  so a cancel lands mid-generation; started only when a test asks for it.

A missing build fails these tests with the command that builds it; they are never skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.config import ProviderSettings, Settings
from backend.embedded import EmbeddedServer
from tests.support.http_client import TokenApi
from tests.support.llama_support import (
    MODEL,
    N_PREDICT,
    REASONING_BUDGET,
    LlamaServer,
    built_paths,
)


def _serve(
    tmp_path_factory: pytest.TempPathFactory, name: str, **options: Any
) -> Iterator[LlamaServer]:
    paths = built_paths()
    log = tmp_path_factory.mktemp(name) / "llama-server.log"
    server = LlamaServer(paths=paths, log_path=log, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    yield from _serve(
        tmp_path_factory, "llama", n_predict=N_PREDICT, reasoning_budget=REASONING_BUDGET
    )


@pytest.fixture(scope="session")
def llama_long(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    yield from _serve(tmp_path_factory, "llama-long", n_predict=-1)


def app_for(llama_server: LlamaServer, data_dir: Path) -> EmbeddedServer:
    """The real backend with provider openai pointing at `llama_server`, temperature 0."""
    provider = ProviderSettings(
        provider="openai", base_url=llama_server.v1, model=MODEL, temperature=0
    )
    return EmbeddedServer(Settings(data_dir=data_dir, provider=provider, persist_interval=0.05))


@pytest.fixture
def app(llama: LlamaServer, tmp_path: Path) -> Iterator[TokenApi]:
    with app_for(llama, tmp_path / "data") as embedded:
        yield TokenApi(embedded.base_url, embedded.token)


@pytest.fixture
def app_long(llama_long: LlamaServer, tmp_path: Path) -> Iterator[TokenApi]:
    with app_for(llama_long, tmp_path / "data") as embedded:
        yield TokenApi(embedded.base_url, embedded.token)
