"""Fixtures for the web page's tests: real backends on loopback and one headless Chromium."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from playwright.sync_api import Browser, Playwright, sync_playwright  # noqa: E402

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402
from tests.support.http_client import TokenApi  # noqa: E402
from tests.support.web_helpers import CHROMIUM, CHROMIUM_ARGS, RECORD_CSP, WebPage  # noqa: E402


def _serve(data_dir: Path, **overrides: Any) -> Iterator[EmbeddedServer]:
    params: dict[str, Any] = {"echo_delay": 0.001, "persist_interval": 0.2}
    params.update(overrides)
    server = EmbeddedServer(Settings(data_dir=data_dir, **params))
    server.start(timeout=10)
    try:
        yield server
    finally:
        server.stop(timeout=5)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """A shared server with a fast echo (tests make conversations of their own)."""
    yield from _serve(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="session")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """Replies slow enough to act on mid-stream (10 ms per character)."""
    yield from _serve(tmp_path_factory.mktemp("web-slow"), echo_delay=0.01)


@pytest.fixture
def api(server: EmbeddedServer) -> TokenApi:
    return TokenApi(server.base_url, server.token)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def make_page(browser: Browser) -> Iterator[Any]:
    """`make_page(base_url, viewport=..., color_scheme=...)`: a fresh tab (own storage)."""
    contexts = []

    def factory(base_url: str, **options: Any) -> WebPage:
        context = browser.new_context(**options)
        contexts.append(context)
        context.add_init_script(RECORD_CSP)
        return WebPage(context.new_page(), base_url)

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def web(make_page: Any, server: EmbeddedServer) -> WebPage:
    """The page of the shared server, opened with its token and ready."""
    page: WebPage = make_page(server.base_url)
    page.open(server.token)
    page.wait_ready()
    return page
