"""The /v1 router on the real app as `create_app` wires it, beside the app's own security."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from backend.app import create_app
from backend.config import Settings
from tests.support.fake_openai import DEADLINE, serving


def test_v1_on_the_real_app(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", echo_delay=0)
    app = create_app(settings)
    with serving(app, lifespan="on") as server:
        api = openai.OpenAI(
            base_url=f"{server.url}/v1", api_key=settings.token, max_retries=0, timeout=DEADLINE
        )
        stream = api.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "héllo"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream) == "héllo"

        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(
                base_url=f"{server.url}/v1", api_key="nope", max_retries=0, timeout=DEADLINE
            ).models.list()

        # The app's DNS-rebinding guard still runs first (its 403 is in the app's shape).
        foreign = httpx.get(f"{server.url}/v1/models", headers={"Host": "evil.example"})
        assert foreign.status_code == 403
        # And the app's own routes are untouched.
        assert httpx.get(f"{server.url}/api/health").status_code == 200
