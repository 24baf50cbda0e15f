"""Fixtures every test folder shares.

`upstream`: a fake OpenAI-compatible server (`tests.support.fake_openai`) on a free loopback
port, for tests/openai, tests/providers and (once it drops its own copy) tests/desktop.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_openai import FakeUpstream, Upstream, serving


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    fake = FakeUpstream()
    with serving(fake.app()) as server:
        try:
            yield Upstream(fake, server)
        finally:
            fake.release.set()  # let stalled handlers finish so uvicorn can stop
