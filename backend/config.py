"""One settings object for the backend, and where its data lives by default."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

APP_NAME = "sse-chat"
DATA_DIR_ENV = "SSE_CHAT_DATA_DIR"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def default_data_dir() -> Path:
    """`$SSE_CHAT_DATA_DIR`, else the platform's per-user app-data folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def new_token() -> str:
    """A fresh launch token, as PROTOCOL.md section 1 asks."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Settings:
    """Everything the backend needs to run; built by the CLI, the desktop or a test."""

    host: str = "127.0.0.1"
    port: int = 0
    token: str = field(default_factory=new_token)
    auth: bool = True
    allow_origins: tuple[str, ...] = ()
    data_dir: Path = field(default_factory=default_data_dir)
    echo_delay: float = 0.05
    max_content_chars: int = 100_000
    max_body_bytes: int = 1 << 20
    ping_interval: float = 15.0
    persist_interval: float = 1.0

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "chat.sqlite3"
