"""Fixtures every test folder shares.

`upstream`: a fake OpenAI-compatible server (`tests.support.fake_openai`) on a free loopback
port, for tests/openai, tests/providers and tests/desktop.
`loose_umask`: the common default umask (022) while a test runs, for the file-mode tests.
"""

from __future__ import annotations

import os
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


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask (022): files 0644, folders 0755 unless the app says so."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)
