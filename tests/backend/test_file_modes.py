"""Other local users cannot read the history (issue 11, item 7): the data folder is 0700 and
every file the backend writes in it (the database, its -wal and -shm, the lock) is 0600, on
creation whatever the umask, and tightened at start-up if they were looser."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import requests

from backend.config import Settings
from backend.embedded import EmbeddedServer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

FILES = ("chat.sqlite3", "chat.sqlite3-wal", "chat.sqlite3-shm", "chat.sqlite3.lock")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _write_something(server: EmbeddedServer) -> None:
    headers = {"Authorization": f"Bearer {server.token}"}
    created = requests.post(f"{server.base_url}/api/conversations", json={}, headers=headers)
    assert created.status_code == 201


def test_the_data_folder_and_its_files_are_private(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "new" / "data"
    with EmbeddedServer(Settings(data_dir=data, echo_delay=0)) as server:
        _write_something(server)
        found = {name: oct(mode(data / name)) for name in FILES if (data / name).exists()}
        assert set(found) == set(FILES), found  # WAL mode: -wal and -shm exist while open
        assert oct(mode(data)) == oct(0o700)
        assert found == {name: oct(0o600) for name in FILES}


def test_looser_modes_are_tightened_at_start_up(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    with EmbeddedServer(Settings(data_dir=data, echo_delay=0)) as server:
        _write_something(server)
    data.chmod(0o755)
    for name in FILES:
        path = data / name
        if not path.exists():  # -wal/-shm go at a clean close; a crash leaves them behind
            path.write_bytes(b"")
        path.chmod(0o644)
    with EmbeddedServer(Settings(data_dir=data, echo_delay=0)) as server:
        _write_something(server)
        assert oct(mode(data)) == oct(0o700)
        assert {n: oct(mode(data / n)) for n in FILES} == {n: oct(0o600) for n in FILES}


def test_a_shared_sticky_folder_is_left_alone(tmp_path: Path, loose_umask: None) -> None:
    """`--data-dir /tmp` must not make /tmp private: a sticky folder is never chmod-ed
    (its files are still 0600)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with EmbeddedServer(Settings(data_dir=shared, echo_delay=0)) as server:
        _write_something(server)
        assert oct(mode(shared)) == oct(0o1777)
        assert mode(shared / "chat.sqlite3") == 0o600
