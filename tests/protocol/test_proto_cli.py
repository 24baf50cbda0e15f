"""`python -m backend` as a real process: banner, signals, refusal, restart, crash."""

from __future__ import annotations

import re
import signal
import socket
from pathlib import Path

import pytest
import requests

from tests.support.waiting import wait_until

from .conftest import TUTORIAL_ORIGIN
from .sse_support import RawStream
from .support import Api, backend_process, check_error, check_stream_framing, free_port

URL_RX = r"https?://(?:127\.0\.0\.1|localhost):{port}\S*?[?&#]token=([A-Za-z0-9_\-]+)"


def serve_args(port: int, data_dir: Path, *extra: str) -> list[str]:
    return ["--port", str(port), "--data-dir", str(data_dir), *extra]


def test_banner_url_with_random_token_printed_once_and_never_logged(tmp_path: Path) -> None:
    port = free_port()
    with backend_process(*serve_args(port, tmp_path, "--echo-delay", "0")) as bp:
        m = bp.wait_output(URL_RX.format(port=port))
        token = m.group(1)
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
        bp.wait_healthy(port)
        # default host: 127.0.0.1 only (127.0.0.2 is loopback too, but must not answer)
        with pytest.raises(OSError), socket.create_connection(("127.0.0.2", port), timeout=2):
            pass
        api = Api(f"http://127.0.0.1:{port}", token)
        assert api.get("/api/conversations").status_code == 200
        check_error(Api(api.base_url, token + "x").get("/api/conversations"), 401)
        # requests carrying the token in the query string must not leak it into logs
        q = {"token": token}
        assert requests.get(api.url("/api/conversations"), params=q, timeout=10).ok
        cid, turn = api.new_turn("log probe")
        with RawStream(api.events_url(turn["reply"]["id"]), params=q) as rs:
            res = rs.read_to_end()
        assert res.text == "log probe"
        check_error(requests.get(api.url("/api/conversations/nope"), params=q, timeout=10), 404)
        bp.signal(signal.SIGTERM)
        bp.wait_exit(timeout=15)
    out = bp.output
    assert out.count(token) == 1, f"token printed {out.count(token)} times:\n{out}"
    assert "Traceback" not in out, out


def _clean_exit(rc: int, sig: int) -> bool:
    """0, or death by the very signal (uvicorn re-raises it after a graceful shutdown)."""
    return rc in (0, -sig, 128 + sig)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_even_with_an_open_stream(tmp_path: Path, sig: int) -> None:
    port = free_port()
    token = "fixed-test-token-0123456789"
    text = "x" * 2000
    with backend_process(
        *serve_args(port, tmp_path, "--token", token, "--echo-delay", "0.02")
    ) as bp:
        bp.wait_healthy(port)
        api = Api(f"http://127.0.0.1:{port}", token)
        cid, turn = api.new_turn(text)
        rs = RawStream(api.events_url(turn["reply"]["id"]), headers=api.auth_headers())
        try:
            ev = rs.next_event()
            assert ev is not None and ev.type == "delta"
            bp.signal(sig)
            rc = bp.wait_exit(timeout=15)
        finally:
            rs.close()
    assert _clean_exit(rc, sig), f"exit code {rc}\n{bp.output}"
    assert "Traceback" not in bp.output, bp.output

    # the reply it was writing is not left `streaming` forever
    port2 = free_port()
    with backend_process(*serve_args(port2, tmp_path, "--token", token)) as bp2:
        bp2.wait_healthy(port2)
        api2 = Api(f"http://127.0.0.1:{port2}", token)
        reply = api2.message(cid, turn["reply"]["id"])
        assert reply["status"] in ("interrupted", "cancelled", "complete"), reply
        assert text.startswith(reply["content"])


def test_no_auth_refused_on_non_loopback_host(tmp_path: Path) -> None:
    port = free_port()
    with backend_process("--host", "0.0.0.0", "--no-auth", *serve_args(port, tmp_path)) as bp:
        rc = bp.wait_exit(timeout=15)
        assert rc != 0, bp.output
        assert "auth" in bp.output.lower(), f"no clear message: {bp.output!r}"
        assert "Traceback" not in bp.output, bp.output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2)


def test_no_auth_with_allowed_origin_serves_the_tutorial_client(tmp_path: Path) -> None:
    port = free_port()
    second = "http://127.0.0.1:8080"
    args = serve_args(
        port,
        tmp_path,
        "--no-auth",
        "--allow-origin",
        TUTORIAL_ORIGIN,
        "--allow-origin",
        second,
        "--echo-delay",
        "0",
    )
    with backend_process(*args) as bp:
        bp.wait_healthy(port)
        base = f"http://127.0.0.1:{port}"
        assert requests.get(base + "/api/conversations", timeout=10).status_code == 200
        r = requests.post(
            base + "/stream",
            json={"message": "ok"},
            headers={"Origin": TUTORIAL_ORIGIN},
            timeout=10,
        )
        assert r.status_code == 200 and r.text == "success", (r.status_code, r.text)
        assert r.headers.get("access-control-allow-origin") == TUTORIAL_ORIGIN
        with RawStream(base + "/stream", headers={"Origin": TUTORIAL_ORIGIN}) as rs:
            res = rs.read_all()
        assert [e.data for e in res.events] == ["o", "k", " "]
        r = requests.get(base + "/api/conversations", headers={"Origin": second}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers.get("access-control-allow-origin") == second
        check_error(
            requests.get(
                base + "/api/conversations", headers={"Origin": "http://evil.example"}, timeout=10
            ),
            403,
        )


def test_restart_on_same_data_dir_keeps_history(tmp_path: Path) -> None:
    token = "restart-token-abcdefghijklmnop"
    port = free_port()
    with backend_process(*serve_args(port, tmp_path, "--token", token, "--echo-delay", "0")) as bp:
        bp.wait_healthy(port)
        api = Api(f"http://127.0.0.1:{port}", token)
        cid = api.create_conversation("Kept 😀")["id"]
        for text in ("first\nline", "second 👍🏽"):
            turn = api.send(cid, text)
            api.follow(turn["reply"]["id"])
        before = api.conversation(cid)
        listed = api.get("/api/conversations").json()
        bp.signal(signal.SIGTERM)
        bp.wait_exit(timeout=15)

    port2 = free_port()
    with backend_process(*serve_args(port2, tmp_path, "--token", token)) as bp2:
        bp2.wait_healthy(port2)
        api2 = Api(f"http://127.0.0.1:{port2}", token)
        assert api2.conversation(cid) == before
        assert api2.get("/api/conversations").json() == listed
        reply_id = before["messages"][-1]["id"]
        res = api2.follow(reply_id)
        assert check_stream_framing(res, "second 👍🏽")["status"] == "complete"


def test_crash_mid_reply_leaves_interrupted_reply_with_persisted_prefix(tmp_path: Path) -> None:
    token = "crash-token-abcdefghijklmnopqr"
    text = "".join(f"{i:04d} " for i in range(300))  # 1500 chars, ~30 s at 0.02 s/char
    port = free_port()
    with backend_process(
        *serve_args(port, tmp_path, "--token", token, "--echo-delay", "0.02")
    ) as bp:
        bp.wait_healthy(port)
        api = Api(f"http://127.0.0.1:{port}", token)
        cid, turn = api.new_turn(text)
        rid = turn["reply"]["id"]
        persisted = wait_until(
            lambda: api.message(cid, rid)["content"],
            timeout=10,
            interval=0.1,
            what="persisted reply content",
        )
        assert text.startswith(persisted)
        bp.proc.kill()  # SIGKILL: no shutdown code runs
        assert bp.wait_exit(timeout=10) == -signal.SIGKILL

    port2 = free_port()
    with backend_process(*serve_args(port2, tmp_path, "--token", token)) as bp2:
        bp2.wait_healthy(port2)
        api2 = Api(f"http://127.0.0.1:{port2}", token)
        user, reply = api2.messages(cid)
        assert user["content"] == text
        assert reply["id"] == rid
        assert reply["status"] == "interrupted", reply
        assert len(reply["content"]) >= len(persisted), (reply["content"], persisted)
        assert text.startswith(reply["content"])
        assert len(reply["content"]) < len(text)
        # its stream replays the kept part and ends at once
        res = api2.follow(rid, deadline=5)
        msg = check_stream_framing(res, reply["content"])
        assert msg["status"] == "interrupted"
        # the conversation is usable again: no 409 from a dead reply
        turn2 = api2.send(cid, "after the crash")
        assert api2.follow(turn2["reply"]["id"]).text == "after the crash"
