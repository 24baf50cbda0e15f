"""What every request to an OpenAI-compatible server shares: the base URL as given,
the `Authorization` header (the key goes only there), the timeouts."""

from __future__ import annotations

import httpx


def normalise_base_url(base_url: str) -> str:
    return base_url.strip().rstrip("/")


def auth_headers(api_key: str | None) -> dict[str, str]:
    key = (api_key or "").strip()
    return {"Authorization": f"Bearer {key}"} if key else {}


def timeouts(connect: float, read: float) -> httpx.Timeout:
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
