"""The model list of an OpenAI-compatible server (`GET {base_url}/models`) and the
connection check built on it (the settings' "Check connection")."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import httpx

from backend.openai.connection import auth_headers, normalise_base_url, timeouts
from backend.openai.errors import UpstreamError, clip, shown_url, status_error, transport_error
from backend.openai.reading import (
    MAX_MODEL_LIST_BYTES,
    AnswerTooLarge,
    read_capped,
    read_head,
    size_text,
)

__all__ = ["ConnectionCheck", "check_connection", "list_models"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionCheck:
    """The outcome of `check_connection`: `ok`, a sentence for the user, the models seen."""

    ok: bool
    detail: str
    models: list[str] = field(default_factory=list)
    model_found: bool | None = None


async def list_models(base_url: str, api_key: str | None, *, timeout: float = 10) -> list[str]:
    """The model ids `GET {base_url}/models` lists, in the server's order."""
    base = normalise_base_url(base_url)
    url = f"{base}/models"
    log.info("upstream request: GET %s", shown_url(url))
    try:
        async with (
            httpx.AsyncClient(
                timeout=timeouts(timeout, timeout), headers=auth_headers(api_key)
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 300:
                raise status_error(response, base, body=await read_head(response))
            raw = await read_capped(response, MAX_MODEL_LIST_BYTES)
    except httpx.HTTPError as exc:
        raise transport_error(exc, base, timeout, timeout) from exc
    except AnswerTooLarge:
        raise UpstreamError(
            f"{shown_url(base)}/models sent more than {size_text(MAX_MODEL_LIST_BYTES)} "
            "as its model list",
            code="malformed",
        ) from None
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)["data"]
        return [str(item["id"]) for item in data]
    except (ValueError, KeyError, TypeError):
        raise UpstreamError(
            f"{shown_url(base)}/models did not answer with an OpenAI model list: {clip(text)!r}",
            code="malformed",
        ) from None


async def check_connection(
    base_url: str, api_key: str | None, model: str | None = None, *, timeout: float = 10
) -> ConnectionCheck:
    """Check that the server answers and accepts the key; never raises `UpstreamError`.

    `ok` is True when `GET /models` succeeded. When `model` is given, `model_found` says
    whether the server lists it (llama.cpp serves whatever it loaded under any name, so a
    missing model is reported in `detail` but does not make `ok` False).
    """
    where = shown_url(normalise_base_url(base_url))
    try:
        models = await list_models(base_url, api_key, timeout=timeout)
    except UpstreamError as exc:
        return ConnectionCheck(ok=False, detail=exc.detail)
    detail = f"Connected to {where}: {len(models)} model(s) available"
    found: bool | None = None
    if model:
        found = model in models
        if not found:
            shown = ", ".join(models[:10]) + (", …" if len(models) > 10 else "")
            detail += f", but '{model}' is not among them ({shown or 'none listed'})"
    return ConnectionCheck(ok=True, detail=detail, models=models, model_found=found)
