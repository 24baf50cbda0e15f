"""`GET/PUT /api/settings`, `POST /api/provider/check`, `GET /api/provider/models`."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from backend.embedded import EmbeddedServer
from tests.support.fake_openai import Upstream, closed_port
from tests.support.provider_helpers import KEY, Api, openai_settings

SETTINGS_KEYS = {
    "provider",
    "base_url",
    "model",
    "system_prompt",
    "temperature",
    "echo_delay",
    "auto_title",
    "api_key_set",
}


def test_defaults_to_echo_and_needs_the_token(api: Api, server: EmbeddedServer) -> None:
    answer = api.get("/api/settings")
    assert answer.status_code == 200
    assert answer.json() == {
        "provider": "echo",
        "base_url": "",
        "model": "",
        "system_prompt": "",
        "temperature": None,
        "echo_delay": 0,
        "auto_title": True,
        "api_key_set": False,
    }
    for method, path in (
        ("GET", "/api/settings"),
        ("PUT", "/api/settings"),
        ("POST", "/api/provider/check"),
        ("GET", "/api/provider/models"),
    ):
        anonymous = requests.request(method, server.base_url + path, json={}, timeout=10)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.json() == {"detail": "Missing or wrong token"}


def test_the_key_is_write_only(api: Api, upstream: Upstream) -> None:
    put = api.put("/api/settings", json=openai_settings(upstream))
    assert put.status_code == 200, put.text
    assert set(put.json()) == SETTINGS_KEYS and put.json()["api_key_set"] is True
    got = api.get("/api/settings")
    assert got.json() == put.json()
    for answer in (put, got):
        assert KEY not in answer.text and 'api_key"' not in answer.text

    # GET's answer sent back as it is (api_key omitted): the key is kept.
    again = api.put("/api/settings", json={**got.json(), "model": "qwen2.5:7b"})
    assert again.status_code == 200, again.text
    assert again.json()["api_key_set"] is True and again.json()["model"] == "qwen2.5:7b"
    models = api.get("/api/provider/models")
    assert models.status_code == 200 and models.json() == {"models": ["llama3.2", "qwen2.5:7b"]}
    assert upstream.fake.last.headers["authorization"] == f"Bearer {KEY}"

    # "" clears it.
    cleared = api.put_settings(**openai_settings(upstream, api_key=""))
    assert cleared["api_key_set"] is False
    failed = api.get("/api/provider/models")
    assert failed.status_code == 502
    assert "401" in failed.json()["detail"] and "API key" in failed.json()["detail"]
    assert "authorization" not in upstream.fake.last.headers


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"provider": "claude"}, "provider"),
        ({"base_url": "ftp://example.com/v1"}, "base_url"),
        ({"base_url": ""}, "base_url"),
        ({"base_url": "localhost:11434/v1"}, "base_url"),
        ({"model": "  "}, "model"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": "0.5"}, "temperature"),
        ({"echo_delay": 6}, "echo_delay"),
        ({"echo_delay": -1}, "echo_delay"),
        ({"api_key": 42}, "api_key"),
        ({"tempreature": 1}, "tempreature"),
    ],
)
def test_bad_settings_are_422_and_change_nothing(
    api: Api, upstream: Upstream, changes: dict[str, Any], reason: str
) -> None:
    before = api.get("/api/settings").json()
    answer = api.put("/api/settings", json=openai_settings(upstream, **changes))
    assert answer.status_code == 422, answer.text
    assert set(answer.json()) == {"detail"} and reason in answer.json()["detail"]
    assert api.get("/api/settings").json() == before


def test_bodies_that_are_not_settings_are_422(api: Api) -> None:
    bodies: list[object] = [{}, [], "echo"]
    for body in bodies:
        answer = api.put("/api/settings", json=body)
        assert answer.status_code == 422 and isinstance(answer.json()["detail"], str)
    broken = api.put(
        "/api/settings", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    # echo needs neither a URL nor a model; an int temperature is fine.
    echo = api.put_settings(provider="echo", temperature=1, echo_delay=0.5)
    assert (echo["provider"], echo["temperature"], echo["echo_delay"]) == ("echo", 1, 0.5)


def test_check_reports_success_and_the_exact_failure(api: Api, upstream: Upstream) -> None:
    api.put_settings(**openai_settings(upstream))  # stores the key
    check = {"provider": "openai", "base_url": upstream.base_url}

    ok = api.post("/api/provider/check", json={**check, "model": "llama3.2"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["ok"] is True and ok.json()["model_found"] is True
    assert ok.json()["models"] == ["llama3.2", "qwen2.5:7b"]
    assert upstream.fake.last.headers["authorization"] == f"Bearer {KEY}"  # the stored key

    missing = api.post("/api/provider/check", json={**check, "model": "gpt-9"}).json()
    assert missing["ok"] is True and missing["model_found"] is False
    assert "'gpt-9' is not among them" in missing["detail"]

    no_model = api.post("/api/provider/check", json=check).json()
    assert no_model["ok"] is True and no_model["model_found"] is None

    wrong = api.post("/api/provider/check", json={**check, "api_key": "sk-wrong"})
    assert wrong.status_code == 200
    assert wrong.json()["ok"] is False and wrong.json()["models"] == []
    assert "rejected the API key (401 Unauthorized)" in wrong.json()["detail"]
    assert "sk-wrong" not in wrong.text

    gone = f"http://127.0.0.1:{closed_port()}/v1"
    refused = api.post("/api/provider/check", json={**check, "base_url": gone}).json()
    assert refused["ok"] is False and "connection refused" in refused["detail"]

    echo = api.post("/api/provider/check", json={"provider": "echo"}).json()
    assert echo == {
        "ok": True,
        "detail": "The echo provider needs no connection",
        "models": ["echo"],
        "model_found": None,
    }
    bad = api.post("/api/provider/check", json={"provider": "openai", "base_url": "nope"})
    assert bad.status_code == 422 and "base_url" in bad.json()["detail"]


def test_models_follow_the_current_provider(api: Api, upstream: Upstream) -> None:
    assert api.get("/api/provider/models").json() == {"models": ["echo"]}
    api.put_settings(**openai_settings(upstream))
    assert api.get("/api/provider/models").json() == {"models": ["llama3.2", "qwen2.5:7b"]}
    api.put_settings(**openai_settings(upstream, base_url=f"http://127.0.0.1:{closed_port()}/v1"))
    failed = api.get("/api/provider/models")
    assert failed.status_code == 502
    assert set(failed.json()) == {"detail"} and "connection refused" in failed.json()["detail"]
