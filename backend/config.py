"""One settings object for the backend, and where its data lives by default."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs

APP_NAME = "sse-chat"
DATA_DIR_ENV = "SSE_CHAT_DATA_DIR"
API_KEY_ENV = "SSE_CHAT_API_KEY"
DEFAULT_ECHO_DELAY = 0.05
MAX_TEMPERATURE = 2.0
MAX_ECHO_DELAY = 5.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: The desktop window's own backend: it opens a handful of connections.
WINDOW_MAX_CONNECTIONS = 64


def default_data_dir() -> Path:
    """`$SSE_CHAT_DATA_DIR`, else the platform's per-user app-data folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def new_token() -> str:
    """A fresh launch token, as PROTOCOL.md section 1 asks."""
    return secrets.token_urlsafe(32)


ProviderName = Literal["echo", "openai"]
PROVIDERS: tuple[ProviderName, ...] = ("echo", "openai")


def is_http_url(text: str) -> bool:
    """True for an absolute `http://` or `https://` URL with a host."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_origin(text: str) -> tuple[str, str, int] | None:
    """The origin (scheme, host, port) of an http(s) URL, normalised; None for anything else.

    An API key belongs to the origin it was given for (issue 11): `http://Host:80/v1` and
    `http://host/v2` are one origin; another scheme, host or port is another.
    """
    try:
        parts = urlsplit(text.strip())
        scheme = parts.scheme.lower()
        port = parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def same_origin(first: str, second: str) -> bool:
    """Whether both are http(s) URLs of one origin (so a key for one may go to the other)."""
    origin = url_origin(first)
    return origin is not None and origin == url_origin(second)


@dataclass(frozen=True)
class ProviderSettings:
    """Where replies come from: the echo responder, or an OpenAI-compatible server.

    `api_key` never appears in a `repr` (nor, by the rest of the backend, in logs or answers).
    """

    provider: ProviderName = "echo"
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    model: str = ""
    system_prompt: str = ""
    temperature: float | None = None
    echo_delay: float = DEFAULT_ECHO_DELAY
    #: "Name conversations with the model": after the first reply, ask it for a title.
    auto_title: bool = True

    def problems(self) -> list[str]:
        """Why these settings cannot be used, in plain words; empty when they can."""
        found: list[str] = []
        if self.provider not in PROVIDERS:
            found.append(f"provider must be one of {', '.join(PROVIDERS)}")
        if self.provider == "openai":
            if not is_http_url(self.base_url):
                found.append(
                    "base_url must be an http:// or https:// URL when provider is openai "
                    "(for example http://localhost:11434/v1)"
                )
            if not self.model.strip():
                found.append("model must not be empty when provider is openai")
        if self.temperature is not None and not 0 <= self.temperature <= MAX_TEMPERATURE:
            found.append(f"temperature must be between 0 and {MAX_TEMPERATURE:g}")
        if self.echo_delay < 0:  # the API also caps it at MAX_ECHO_DELAY; `serve` does not
            found.append("echo_delay must not be negative")
        return found


@dataclass(frozen=True)
class Settings:
    """Everything the backend needs to run; built by the CLI, the desktop or a test."""

    host: str = "127.0.0.1"
    port: int = 0
    token: str = field(default_factory=new_token)
    auth: bool = True
    allow_origins: tuple[str, ...] = ()
    data_dir: Path = field(default_factory=default_data_dir)
    echo_delay: float = DEFAULT_ECHO_DELAY
    max_content_chars: int = 100_000
    max_body_bytes: int = 1 << 20
    #: `POST /api/import` only (PROTOCOL.md section 10); exempt from `max_body_bytes`.
    max_import_bytes: int = 1 << 30
    #: A reply longer than this is cut, ends `complete` with a note (`turns.cut_note`).
    max_reply_chars: int = 1_000_000
    #: Sent upstream as `max_tokens` with every chat turn when set (None: not sent).
    max_tokens: int | None = None
    ping_interval: float = 15.0
    persist_interval: float = 1.0
    #: /v1: a `model` other than the configured one is a 404 `model_not_found` (as OpenAI,
    #: Ollama and vLLM answer) instead of being served anyway (as llama.cpp does).
    strict_model: bool = False
    #: Open connections at most (`serve`: this; the window: `WINDOW_MAX_CONNECTIONS`). Well
    #: above real use: 2,000 clients following one reply keep working.
    max_connections: int = 4096
    #: Seconds a connection has to send its request head.
    header_timeout: float = 10.0
    #: How long a reply's failed final write (a full disk) is retried before the reply ends
    #: `failed`, and how often; it is then stored in the background once there is room.
    save_retry_seconds: float = 10.0
    save_retry_interval: float = 0.5
    #: The provider at start-up; None means the echo responder paced by `echo_delay`.
    #: (Optional rather than filled in, so `dataclasses.replace(s, echo_delay=...)` works.)
    provider: ProviderSettings | None = None

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    @property
    def provider_settings(self) -> ProviderSettings:
        """The provider the backend starts with (`provider`, else echo at `echo_delay`)."""
        return self.provider or ProviderSettings(echo_delay=self.echo_delay)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "chat.sqlite3"
