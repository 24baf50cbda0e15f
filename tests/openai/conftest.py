"""Fixtures for the OpenAI-compatible upstream responder and the /v1 router.

Everything runs over real HTTP on 127.0.0.1: a fake upstream (tests/openai/oai_support.py)
and, for the router, a minimal FastAPI app. The real `backend.app.create_app` is not used
here yet, because the wiring of the /v1 router into it is still to be done.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oai_support import FakeUpstream, Upstream, serving


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    fake = FakeUpstream()
    with serving(fake.app()) as server:
        try:
            yield Upstream(fake, server)
        finally:
            fake.release.set()  # let stalled handlers finish so uvicorn can stop
