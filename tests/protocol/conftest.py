"""Fixtures for the protocol suite: real backends on loopback, always stopped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the project is not installed into the venv
    sys.path.insert(0, str(REPO))  # (also where `.support` finds `tests.support`)

from .support import Api  # noqa: E402

TUTORIAL_ORIGIN = "http://localhost:5173"


@contextmanager
def run_embedded(data_dir: Path, **overrides: Any) -> Iterator[Any]:
    from backend.config import Settings
    from backend.embedded import EmbeddedServer

    params: dict[str, Any] = {"echo_delay": 0.0}
    params.update(overrides)
    srv = EmbeddedServer(Settings(data_dir=data_dir, **params))
    srv.start(timeout=10.0)
    try:
        yield srv
    finally:
        srv.stop()


ServerFactory = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def make_server(tmp_path_factory: pytest.TempPathFactory) -> ServerFactory:
    """`with make_server(echo_delay=..., ...) as srv:` - a fresh server with its own data."""

    def factory(**overrides: Any) -> AbstractContextManager[Any]:
        return run_embedded(tmp_path_factory.mktemp("data"), **overrides)

    return factory


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The shared default server (auth on, no origins) with a fast echo."""
    with run_embedded(tmp_path_factory.mktemp("shared"), echo_delay=0.0) as srv:
        yield srv


@pytest.fixture(scope="session")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server whose replies take long enough to act on them mid-stream."""
    with run_embedded(tmp_path_factory.mktemp("slow"), echo_delay=0.01) as srv:
        yield srv


@pytest.fixture
def api(server: Any) -> Api:
    return Api(server.base_url, server.token)


@pytest.fixture
def slow_api(slow_server: Any) -> Api:
    return Api(slow_server.base_url, slow_server.token)
