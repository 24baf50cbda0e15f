"""The provider settings as the desktop keeps them: `ProviderConfig` and its `QSettings` store.

`ProviderConfig` holds everything but the API key; `to_body(key)` makes the `PUT
/api/settings` body (docs/API-EXTENSIONS.md). `ProviderStore` persists it in the window's
`QSettings` (group `provider/`), and - only when no OS keyring is usable - the API key
itself (`fallback_key`, shown with a warning in the dialog). The provider names and the
limits are the backend's own (`backend.config`), never declared twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, cast
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings

from backend.config import (
    DEFAULT_ECHO_DELAY,
    MAX_ECHO_DELAY,
    MAX_TEMPERATURE,
    PROVIDERS,
    ProviderName,
)

__all__ = [
    "DEFAULT_ECHO_DELAY",
    "MAX_ECHO_DELAY",
    "MAX_TEMPERATURE",
    "PRESETS",
    "PROVIDERS",
    "ProviderConfig",
    "ProviderName",
    "ProviderStore",
]

#: Base URLs of well-known OpenAI-compatible servers (name, URL), offered in the dialog.
PRESETS: Final[tuple[tuple[str, str], ...]] = (
    ("Ollama", "http://localhost:11434/v1"),
    ("llama.cpp", "http://localhost:8080/v1"),
    ("LM Studio", "http://localhost:1234/v1"),
    ("OpenAI", "https://api.openai.com/v1"),
)

_GROUP = "provider"
_KEY_FALLBACK = "provider/api_key"


@dataclass(frozen=True)
class ProviderConfig:
    """Where replies come from, without the API key."""

    provider: ProviderName = "echo"
    base_url: str = ""
    model: str = ""
    system_prompt: str = ""
    temperature: float | None = None
    echo_delay: float = DEFAULT_ECHO_DELAY
    #: "Name conversations with the model" (Settings → Chat; the backend's `auto_title`).
    auto_title: bool = True

    def url_problem(self) -> str:
        """Why the base URL cannot be used ("" when it can, or when echo is chosen)."""
        if self.provider != "openai":
            return ""
        parts = urlsplit(self.base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "Enter the server's base URL, e.g. http://localhost:11434/v1."
        return ""

    def problems(self) -> list[str]:
        """What the backend would refuse, in plain words (checked before sending)."""
        found = [self.url_problem()] if self.url_problem() else []
        if self.provider == "openai" and not self.model.strip():
            found.append("Choose or type a model (Fetch models lists the server's).")
        return found

    def to_body(self, api_key: str | None) -> dict[str, Any]:
        """The `PUT /api/settings` body; `api_key` None keeps the backend's key."""
        body: dict[str, Any] = {
            "provider": self.provider,
            "base_url": self.base_url.strip(),
            "model": self.model.strip(),
            "system_prompt": self.system_prompt,
            "temperature": self.temperature,
            "echo_delay": self.echo_delay,
            "auto_title": self.auto_title,
        }
        if api_key is not None:
            body["api_key"] = api_key.strip()
        return body

    def check_body(self, api_key: str | None) -> dict[str, Any]:
        """The `POST /api/provider/check` body for these (unsaved) settings."""
        body: dict[str, Any] = {"provider": self.provider, "base_url": self.base_url.strip()}
        if self.model.strip():
            body["model"] = self.model.strip()
        if api_key is not None:
            body["api_key"] = api_key.strip()
        return body

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> ProviderConfig:
        """From a `GET`/`PUT /api/settings` answer."""
        provider = data.get("provider")
        delay = _float_or_none(data.get("echo_delay"), MAX_ECHO_DELAY)
        return cls(
            provider=cast(ProviderName, provider) if provider in PROVIDERS else "echo",
            base_url=str(data.get("base_url") or ""),
            model=str(data.get("model") or ""),
            system_prompt=str(data.get("system_prompt") or ""),
            temperature=_float_or_none(data.get("temperature"), MAX_TEMPERATURE),
            echo_delay=DEFAULT_ECHO_DELAY if delay is None else delay,
            auto_title=data.get("auto_title") is not False,
        )


def _float_or_none(value: Any, limit: float) -> float | None:
    """A number in 0..limit from QSettings/JSON (INI files give strings), else None."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= limit else None


class ProviderStore:
    """The provider settings in `QSettings` (the window's own store)."""

    def __init__(self, store: QSettings) -> None:
        self.store = store

    @property
    def location(self) -> str:
        """The settings file (shown when the key has to be kept there)."""
        return self.store.fileName()

    def has_saved(self) -> bool:
        """Whether the user has saved provider settings (else the backend's are kept)."""
        return self.store.value(f"{_GROUP}/provider") in PROVIDERS

    def load(self) -> ProviderConfig:
        value = self.store.value
        provider = value(f"{_GROUP}/provider", "echo")
        delay = _float_or_none(value(f"{_GROUP}/echo_delay"), MAX_ECHO_DELAY)
        return ProviderConfig(
            provider=provider if provider in PROVIDERS else "echo",
            base_url=str(value(f"{_GROUP}/base_url", "") or ""),
            model=str(value(f"{_GROUP}/model", "") or ""),
            system_prompt=str(value(f"{_GROUP}/system_prompt", "") or ""),
            temperature=_float_or_none(value(f"{_GROUP}/temperature"), MAX_TEMPERATURE),
            echo_delay=DEFAULT_ECHO_DELAY if delay is None else delay,
            auto_title=value(f"{_GROUP}/auto_title", True) not in (False, "false"),
        )

    def save(self, config: ProviderConfig) -> None:
        set_value = self.store.setValue
        set_value(f"{_GROUP}/provider", config.provider)
        set_value(f"{_GROUP}/base_url", config.base_url.strip())
        set_value(f"{_GROUP}/model", config.model.strip())
        set_value(f"{_GROUP}/system_prompt", config.system_prompt)
        temperature = "" if config.temperature is None else repr(config.temperature)
        set_value(f"{_GROUP}/temperature", temperature)
        set_value(f"{_GROUP}/echo_delay", repr(config.echo_delay))
        set_value(f"{_GROUP}/auto_title", config.auto_title)
        self.store.sync()

    # -- the API key, only when no keyring can hold it ------------------------------------
    @property
    def fallback_key(self) -> str:
        value = self.store.value(_KEY_FALLBACK, "")
        return value if isinstance(value, str) else ""

    def set_fallback_key(self, key: str) -> None:
        if key:
            self.store.setValue(_KEY_FALLBACK, key)
        else:
            self.store.remove(_KEY_FALLBACK)
        self.store.sync()

    def clear_fallback_key(self) -> None:
        if self.store.contains(_KEY_FALLBACK):
            self.store.remove(_KEY_FALLBACK)
            self.store.sync()
