"""The stored API key belongs to the origin it was given for (issue 11, item 2).

Anyone with the launch token could make the backend send the real key to a listener of
theirs: `POST /api/provider/check` with another `base_url` and no `api_key`, or `PUT
/api/settings` changing only `base_url`, then `GET /api/provider/models` or a turn. A check
or setting for another origin (scheme, host, port) now uses a key only if the request gives
one, and a change of origin without a key clears the stored one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_openai import FakeUpstream, Upstream, serving
from tests.support.provider_helpers import KEY, Api, openai_settings


@pytest.fixture
def listener() -> Iterator[Upstream]:
    """Another origin (same host, another port) that records every request's headers."""
    fake = FakeUpstream(api_key=None)
    with serving(fake.app()) as server:
        try:
            yield Upstream(fake, server)
        finally:
            fake.release.set()


def _authorization(upstream: Upstream) -> list[str | None]:
    return [r.headers.get("authorization") for r in upstream.fake.requests]


def test_a_check_against_another_origin_never_gets_the_stored_key(
    api: Api, upstream: Upstream, listener: Upstream
) -> None:
    api.put_settings(**openai_settings(upstream))
    check = {"provider": "openai", "base_url": listener.base_url, "model": "llama3.2"}
    answer = api.post("/api/provider/check", json=check)
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert _authorization(listener) == [None]

    given = api.post("/api/provider/check", json={**check, "api_key": "sk-for-the-listener"})
    assert given.json()["ok"] is True
    assert _authorization(listener)[-1] == "Bearer sk-for-the-listener"

    # The key's own origin, however spelled, still gets it (the dialog's "Test connection").
    for same in (
        upstream.base_url,
        upstream.base_url + "/",
        upstream.base_url.replace("http:", "HTTP:"),
    ):
        mine = api.post("/api/provider/check", json={**check, "base_url": same})
        assert mine.json()["ok"] is True, (same, mine.json())
    assert set(_authorization(upstream)) == {f"Bearer {KEY}"}
    assert KEY not in str(listener.fake.requests)


def test_changing_the_origin_without_a_key_clears_it(
    api: Api, upstream: Upstream, listener: Upstream
) -> None:
    api.put_settings(**openai_settings(upstream))
    body = api.get("/api/settings").json()
    moved = api.put_settings(**{**body, "base_url": listener.base_url})
    assert moved["api_key_set"] is False
    assert api.get("/api/provider/models").status_code == 200
    cid = api.conversation()
    assert api.turn(cid, "hi").outcome == "end"
    assert _authorization(listener) == [None, None]

    # Back to the first origin: the key is gone, not remembered for it.
    back = api.put_settings(**{**moved, "base_url": upstream.base_url})
    assert back["api_key_set"] is False
    assert api.get("/api/provider/models").status_code == 502  # the fake wants its key


def test_a_key_given_with_the_new_origin_is_kept_for_it(
    api: Api, upstream: Upstream, listener: Upstream
) -> None:
    api.put_settings(**openai_settings(upstream))
    moved = api.put_settings(**openai_settings(listener, api_key="sk-listener"))
    assert moved["api_key_set"] is True
    # Same origin, another path and spelling: the key stays.
    same = listener.base_url.replace("/v1", "/v1/").replace("http://", "HTTP://")
    kept = api.put_settings(**{**moved, "base_url": same})
    assert kept["api_key_set"] is True
    assert api.get("/api/provider/models").status_code == 200
    assert _authorization(listener) == ["Bearer sk-listener"]
    # Another scheme is another origin.
    https = api.put_settings(**{**kept, "base_url": listener.base_url.replace("http:", "https:")})
    assert https["api_key_set"] is False


def test_switching_to_echo_and_back_without_a_key_clears_it(api: Api, upstream: Upstream) -> None:
    api.put_settings(**openai_settings(upstream))
    echo = api.put_settings(provider="echo", echo_delay=0)
    assert echo["api_key_set"] is False
    # The same base URL kept while echo is chosen (as the desktop's dialog does) keeps it.
    api.put_settings(**openai_settings(upstream))
    kept = api.put_settings(provider="echo", base_url=upstream.base_url, echo_delay=0)
    assert kept["api_key_set"] is True
