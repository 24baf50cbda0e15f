"""Fixtures for the robustness suite: offscreen Qt, isolated QSettings, real servers."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402
from tests.support.fuzz_support import Fuzzer, running_fuzzer  # noqa: E402
from tests.support.robust_helpers import FIGURES, ServerFactory  # noqa: E402


@pytest.fixture
def figures() -> dict[str, Any]:
    return FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("robustness figures")
        for key, value in FIGURES.items():
            terminalreporter.write_line(f"{key}: {value}")


@pytest.fixture(autouse=True)
def _no_real_qsettings(tmp_path: Path) -> None:
    """A QSettings made anywhere lands in this test's folder, never the user's."""
    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """`make_server(echo_delay=..., data_dir=...)`: a started EmbeddedServer, stopped after."""
    servers: list[EmbeddedServer] = []

    def factory(**overrides: Any) -> EmbeddedServer:
        params: dict[str, Any] = {"data_dir": tmp_path / f"data{len(servers)}", "echo_delay": 0.0}
        params.update(overrides)
        server = EmbeddedServer(Settings(**params))
        server.start(timeout=10.0)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzer]:
    """One seeded server for both HTTP fuzz files (test_robust_fuzz*.py), as one file had."""
    with running_fuzzer(tmp_path_factory.mktemp("fuzz")) as fz:
        yield fz
