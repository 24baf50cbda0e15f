"""The provider behind the replies: build a `Responder` from `ProviderSettings`, and hold
the current one so it can be swapped while the backend runs.

The settings live in memory only: the desktop persists them (the API key in the OS keyring)
and pushes them with `PUT /api/settings`; `sse-chat serve` builds them from its flags.
A turn or a /v1 request takes the current responder when it starts and keeps it, so a
change applies to the next reply and never to one already streaming.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from backend.config import ProviderSettings
from backend.responders import EchoResponder, Responder

logger = logging.getLogger(__name__)

#: What the echo provider offers as its model list.
ECHO_MODELS: tuple[str, ...] = ("echo",)


class InvalidProviderSettings(ValueError):
    """`ProviderSettings` that cannot make a responder; the message lists why."""


def build_responder(settings: ProviderSettings) -> Responder:
    """The responder for `settings`: `EchoResponder` or `OpenAICompatResponder`."""
    problems = settings.problems()
    if problems:
        raise InvalidProviderSettings("; ".join(problems))
    if settings.provider == "openai":
        # imported with its httpx when first used: an app on the echo starts ~40 ms sooner
        from backend.openai.upstream import OpenAICompatResponder

        return OpenAICompatResponder(
            base_url=settings.base_url,
            api_key=settings.api_key or None,
            model=settings.model.strip(),
            system_prompt=settings.system_prompt or None,
            temperature=settings.temperature,
        )
    return EchoResponder(settings.echo_delay)


def shown_url(url: str) -> str:
    """`url` without any `user:password@` part, fit for logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def describe(settings: ProviderSettings) -> str:
    """A one-line description for logs and banners; never includes the API key."""
    if settings.provider == "openai":
        key = "an API key" if settings.api_key else "no API key"
        where = shown_url(settings.base_url)
        return f"OpenAI-compatible server {where} (model {settings.model}, {key})"
    return f"echo (pause {settings.echo_delay:g} s)"


class ProviderState:
    """The current provider settings and their responder (one event loop uses it).

    `responder` may be given to start with a responder other than the one `settings`
    would build (a test hook, as `create_app(settings, responder)` has always offered);
    the first `apply()` replaces it.
    """

    def __init__(self, settings: ProviderSettings, responder: Responder | None = None) -> None:
        self._settings = settings
        self._responder = responder if responder is not None else build_responder(settings)

    @property
    def settings(self) -> ProviderSettings:
        return self._settings

    def current(self) -> Responder:
        """The responder a new turn or /v1 request should use."""
        return self._responder

    def apply(self, settings: ProviderSettings) -> None:
        """Switch to `settings` (InvalidProviderSettings if they cannot be used)."""
        responder = build_responder(settings)
        self._settings, self._responder = settings, responder
        logger.info("Provider set to %s", describe(settings))
