"""Part 2: crash safety. The desktop app is SIGKILLed mid-reply, again and again; nothing
acknowledged is lost, the cut reply keeps (at least) what was persisted a second before the
kill, and the window offers Retry on it. Start-up on an unusable data folder fails plainly.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from backend.config import Settings
from backend.embedded import EmbeddedServer
from desktop.app import build_window
from desktop.prefs.ui import UiSettings
from desktop.workers import LaunchConfig
from tests.support.http_client import TokenApi
from tests.support.robust_helpers import REPO, Samples, long_text, spawn, stop_process, wait_for
from tests.support.store_checks import integrity, read_db, store_problems

KILLS = 5
ECHO_DELAY = 0.01
PERSIST_INTERVAL = 1.0  # the default; the assertions below rely on it
#: The flusher's tick and the store thread's write land a little after each second.
SCHEDULING_SLACK = 0.2
DRIVER = REPO / "tests" / "robustness" / "app_driver.py"


class AppProcess:
    """`app_driver.py` (the real desktop app + a send hook) as a child process."""

    def __init__(self, data_dir: Path, message_file: Path | None) -> None:
        args = [str(DRIVER), "--data-dir", str(data_dir), "--echo-delay", str(ECHO_DELAY)]
        if message_file is not None:
            args += ["--message-file", str(message_file)]
        self.proc = spawn(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, prefix: str, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {prefix} line; output: {self.output[-20:]}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"app exited {self.proc.poll()}: {self.output[-20:]}")
            if line.startswith(prefix + " "):
                return line.split(" ")[1:]
            if line.startswith("ERROR "):
                raise AssertionError(line)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(5)

    def stop(self) -> None:
        stop_process(self.proc)
        self._reader.join(5)


def _reached(at: float) -> bool:
    return time.monotonic() >= at


def _follow(url: str, token: str, samples: Samples, stop: threading.Event) -> None:
    """Read a reply's stream, noting when each length arrived, until it drops."""
    try:
        with requests.get(
            url, headers={"Authorization": f"Bearer {token}"}, stream=True, timeout=(5, 30)
        ) as resp:
            length = 0
            for line in resp.iter_lines():
                if stop.is_set():
                    return
                if line.startswith(b"data: "):
                    data = json.loads(line[6:])
                    if "text" in data:
                        length += len(data["text"])
                        samples.add(length)
    except (requests.RequestException, OSError, ValueError):
        return


def test_sigkill_mid_reply_loses_nothing(
    tmp_path: Path, qtbot: QtBot, figures: dict[str, Any]
) -> None:
    rng = random.Random(20261127)
    data = tmp_path / "data"
    db = data / "chat.sqlite3"
    acked_users: set[str] = set()
    cut_replies: dict[str, str] = {}  # reply id -> the text it echoes
    previous_cut: list[tuple[str, str]] = []  # (conversation, reply) killed last time
    report: list[str] = []
    proc: AppProcess | None = None
    try:
        for round_ in range(KILLS):
            text = long_text(900, seed=round_)
            message_file = tmp_path / f"message{round_}.txt"
            message_file.write_text(text, encoding="utf-8")
            proc = AppProcess(data, message_file)
            base_url, token = proc.expect("READY")
            api = TokenApi(base_url, token, session=None)  # a connection per call
            # the relaunch found the replies killed last time and marked them interrupted
            for cid, mid in previous_cut:
                msg = next(
                    m
                    for m in api.get_json(f"/api/conversations/{cid}")["messages"]
                    if m["id"] == mid
                )
                assert msg["status"] == "interrupted", msg
            cid, reply_id = proc.expect("SENT")
            sent_at = time.monotonic()
            cut_replies[reply_id] = text
            samples = Samples()
            stop = threading.Event()
            follower = threading.Thread(
                target=_follow,
                args=(f"{base_url}/api/messages/{reply_id}/events", token, samples, stop),
                daemon=True,
            )
            follower.start()
            # another client's turn, acknowledged, in a conversation of its own
            conv = api.post("/api/conversations", json={"title": f"side {round_}"}).json()
            side_text = long_text(400, seed=100 + round_)
            turn = api.post(
                f"/api/conversations/{conv['id']}/messages", json={"content": side_text}
            )
            assert turn.status_code == 202, turn.text
            acked_users.add(turn.json()["message"]["id"])
            cut_replies[turn.json()["reply"]["id"]] = side_text
            # the window's own user message was acknowledged too (it printed SENT)
            window_user = api.get_json(f"/api/conversations/{cid}")["messages"][-2]
            acked_users.add(window_user["id"])

            kill_after = rng.uniform(1.3, 3.2)
            kill_at = sent_at + kill_after
            wait_for(functools.partial(_reached, kill_at), timeout=10, interval=0.005)
            killed_at = time.monotonic()
            proc.kill()
            stop.set()
            follower.join(10)
            delivered_at_kill = samples.at(killed_at)
            delivered_1s_before = samples.at(killed_at - PERSIST_INTERVAL - SCHEDULING_SLACK)
            assert delivered_at_kill > 0, "the stream had delivered nothing before the kill"

            assert integrity(db) == "ok"
            conn = read_db(db)
            try:
                users = {r[0] for r in conn.execute("SELECT id FROM messages WHERE role='user'")}
                reply = conn.execute(
                    "SELECT content, status FROM messages WHERE id = ?", (reply_id,)
                ).fetchone()
            finally:
                conn.close()
            assert acked_users <= users, f"acknowledged messages lost: {acked_users - users}"
            assert reply is not None, "the cut reply is gone"
            stored = reply["content"]
            assert reply["status"] == "streaming"  # until the next start finds it
            assert text.startswith(stored), "the stored prefix is not the reply's text"
            assert len(stored) >= delivered_1s_before, (
                f"round {round_}: stored {len(stored)} code points, but "
                f"{delivered_1s_before} had been delivered {PERSIST_INTERVAL + SCHEDULING_SLACK}"
                f" s before the kill"
            )
            report.append(
                f"kill {round_ + 1} at {kill_after:.2f}s: stored {len(stored)} >= "
                f"{delivered_1s_before} (delivered 1.2 s before), {delivered_at_kill} at kill"
            )
            previous_cut = [(cid, reply_id), (conv["id"], turn.json()["reply"]["id"])]
            proc = None

        # a last relaunch (no message): everything is there, the cut replies interrupted
        proc = AppProcess(data, None)
        base_url, token = proc.expect("READY")
        api = TokenApi(base_url, token, session=None)  # a connection per call
        statuses: dict[str, str] = {}
        for conv in api.get_json("/api/conversations"):
            for m in api.get_json(f"/api/conversations/{conv['id']}")["messages"]:
                statuses[m["id"]] = m["status"]
                if m["id"] in cut_replies:
                    assert cut_replies[m["id"]].startswith(m["content"])
        assert acked_users <= statuses.keys()
        assert all(statuses[mid] == "interrupted" for mid in cut_replies), statuses
        proc.stop()
        proc = None
        assert store_problems(db) == []
    finally:
        if proc is not None:
            proc.stop()
    figures["kills survived"] = f"{KILLS} SIGKILLs of the app mid-reply; " + "; ".join(report)

    # the window offers Retry on the interrupted reply
    last_cid, last_reply = previous_cut[0]
    ui = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window = build_window(LaunchConfig(settings=Settings(data_dir=data, echo_delay=0.0)), ui)
    qtbot.addWidget(window)
    try:
        window.show()
        with qtbot.waitSignal(window.controller.ready_changed, timeout=20_000):
            window.start()
        qtbot.waitUntil(lambda: window.controller.conversations.rowCount() > 0, timeout=10_000)
        window.controller.select(last_cid)
        qtbot.waitUntil(
            lambda: any(w.message.id == last_reply for w in window.chat_view.widgets),
            timeout=10_000,
        )
        widget = next(w for w in window.chat_view.widgets if w.message.id == last_reply)
        assert widget.message.status == "interrupted"
        qtbot.waitUntil(widget.retry_button.isVisible, timeout=5_000)
    finally:
        window.close()


# --------------------------------------------------------------------------- start-up


def test_data_dir_under_a_file_fails_plainly(tmp_path: Path) -> None:
    """A data folder that cannot be created (its parent is a file; chmod does not stop
    root) gives a RuntimeError with a plain reason, not a trace."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    server = EmbeddedServer(Settings(data_dir=blocker / "data"))
    with pytest.raises(RuntimeError) as info:
        server.start(timeout=10)
    reason = str(info.value)
    assert "Cannot use the data folder" in reason, reason
    assert "Not a directory" in reason or "File exists" in reason, reason
    assert "Traceback" not in reason
    assert not server.running


def test_window_shows_a_start_up_failure(tmp_path: Path, qtbot: QtBot) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    ui = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window = build_window(LaunchConfig(settings=Settings(data_dir=blocker / "data")), ui)
    qtbot.addWidget(window)
    try:
        window.show()
        with qtbot.waitSignal(window.launcher.failed, timeout=20_000):
            window.start()
        assert "could not start" in window.backend_error
        assert "Cannot use the data folder" in window.backend_error
        assert window.banner.isVisible()
        assert window.banner.text() == window.backend_error
        assert not window.composer.isEnabled() or not window.controller.ready
    finally:
        window.close()


FULL_DISK_PROBE = """
import sys
from pathlib import Path
from backend.config import Settings
from backend.embedded import EmbeddedServer
try:
    EmbeddedServer(Settings(data_dir=Path(sys.argv[1]))).start(timeout=10)
except RuntimeError as exc:
    print("REFUSED", exc)
    sys.exit(0)
print("STARTED")
sys.exit(1)
"""


def test_full_disk_fails_plainly(tmp_path: Path, figures: dict[str, Any]) -> None:
    """A full disk at start-up: a 64 KiB tmpfs filled up when we may mount one (root),
    else the same effect from RLIMIT_FSIZE=0 (every write past 0 bytes fails)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
            capture_output=True,
            timeout=10,
        ).returncode
        == 0
    )
    try:
        preexec = None
        if mounted:
            fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
            try:  # fill it: ENOSPC ends the loop
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
        else:
            import resource
            import signal

            def preexec() -> None:  # type: ignore[misc]
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

        proc = spawn(
            ["-c", FULL_DISK_PROBE, str(mount / "data")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=preexec,
        )
        try:
            out, err = proc.communicate(timeout=30)
        finally:
            stop_process(proc)
        text = out.decode()
        assert proc.returncode == 0 and text.startswith("REFUSED"), (text, err.decode()[-2000:])
        assert "Cannot" in text and "Traceback" not in text, text
        assert "full" in text or "disk" in text or "space" in text.lower(), text
        how = "a full 64 KiB tmpfs" if mounted else "RLIMIT_FSIZE=0 (no mount allowed)"
        figures["full disk at start-up"] = f"{how}: {text.strip()}"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=10)
