"""EmbeddedServer's life: start failures, clean stops, interrupted replies, quiet logs."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
import requests

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.logs import TokenRedactingFilter, redact
from tests.support.backend_helpers import Api, StallingResponder


def test_an_unusable_data_folder_is_a_plain_runtime_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    server = EmbeddedServer(Settings(data_dir=blocker / "data"))
    with pytest.raises(RuntimeError, match="data folder"):
        server.start(timeout=5)
    assert not server.running
    server.stop()  # harmless


def test_a_port_in_use_is_a_plain_runtime_error(server: EmbeddedServer, settings: Settings) -> None:
    other = EmbeddedServer(Settings(data_dir=settings.data_dir, port=server.port))
    with pytest.raises(RuntimeError, match="Cannot listen"):
        other.start()


def test_stop_is_idempotent_and_frees_the_port(settings: Settings) -> None:
    with EmbeddedServer(settings) as server:
        base = server.base_url
        assert requests.get(f"{base}/api/health", timeout=5).ok
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/api/health", timeout=5)


def test_stopping_mid_reply_ends_streams_and_leaves_the_reply_interrupted(
    settings: Settings,
) -> None:
    server = EmbeddedServer(settings, StallingResponder("part"))
    server.start()
    try:
        api = Api(server.base_url, server.token)
        conv = api.conversation()
        reply = api.send(conv["id"], "hello")["reply"]["id"]
        with api.open_events(reply) as source:
            assert next(source).type == "delta"
            started = time.monotonic()
            server.stop(timeout=5)
            assert time.monotonic() - started < 2
    finally:
        server.stop()

    with EmbeddedServer(settings) as again:
        api = Api(again.base_url, again.token)
        message = api.get(f"/api/conversations/{conv['id']}").json()["messages"][1]
        assert (message["status"], message["content"]) == ("interrupted", "part")
        events = api.events(reply)
        assert events[-1].type == "end"
        assert json.loads(events[-1].data or "")["message"]["status"] == "interrupted"


def test_the_token_never_reaches_the_logs(
    api: Api, server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = server.token
    requests.get(f"{server.base_url}/api/conversations", params={"token": token}, timeout=5)
    requests.get(f"{server.base_url}/api/conversations", params={"token": "bad"}, timeout=5)
    api.events(api.send(api.conversation()["id"], "hi")["reply"]["id"])
    server_side = [r for r in caplog.records if not r.name.startswith(("urllib3", "requests"))]
    assert not [r for r in server_side if token in r.getMessage()]


def test_redaction() -> None:
    assert (
        redact('"GET /x?a=1&token=abc&b=2 HTTP/1.1"')
        == '"GET /x?a=1&token=[redacted]&b=2 HTTP/1.1"'
    )
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s"',
        ("ip", "GET", "/?token=s3"),
        None,
    )
    assert TokenRedactingFilter("s3").filter(record)
    assert record.getMessage() == 'ip - "GET /?token=[redacted]"'


def test_redaction_of_percent_encoded_token_names() -> None:
    """Starlette decodes `tok%65n` to `token` and authenticates it: it is redacted too."""
    for name in ("tok%65n", "%74%6F%6B%65%6E", "TOKEN", "tok%65n%00"[:7]):
        line = f'"GET /x?a=1&{name}=%41bc&b=2 HTTP/1.1"'
        assert redact(line) == f'"GET /x?a=1&{name}=[redacted]&b=2 HTTP/1.1"', name
    kept = '"GET /x?tokens=1&my_token=2&tok%66n=3 HTTP/1.1"'
    assert redact(kept) == kept


def test_a_second_server_on_the_same_data_folder_is_refused(
    server: EmbeddedServer, settings: Settings
) -> None:
    with pytest.raises(RuntimeError, match="already using the data folder"):
        EmbeddedServer(settings).start()
