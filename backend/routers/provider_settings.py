"""`/api/settings` and `/api/provider/*`: the provider behind the replies (docs/API-EXTENSIONS.md).

The settings live in the backend's memory (`ProviderState`); a change applies to the next
turn or /v1 request. The API key is write-only: answers carry `api_key_set`, never the key.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends

from backend.config import ProviderSettings, is_http_url, same_origin
from backend.deps import ServicesDep
from backend.errors import BadGateway, Unprocessable
from backend.providers import ECHO_MODELS, InvalidProviderSettings
from backend.schemas import (
    ModelList,
    ProviderCheckIn,
    ProviderCheckOut,
    ProviderSettingsIn,
    ProviderSettingsOut,
)
from backend.security import require_token

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", dependencies=[Depends(require_token)])

BAD_BASE_URL = (
    "base_url must be an http:// or https:// URL when provider is openai "
    "(for example http://localhost:11434/v1)"
)


@router.get("/settings")
async def get_settings(services: ServicesDep) -> ProviderSettingsOut:
    return ProviderSettingsOut.of(services.providers.settings)


@router.put("/settings")
async def put_settings(body: ProviderSettingsIn, services: ServicesDep) -> ProviderSettingsOut:
    wanted = body.to_settings(services.providers.settings)
    try:
        services.providers.apply(wanted)
    except InvalidProviderSettings as exc:
        raise Unprocessable(str(exc)) from None
    return ProviderSettingsOut.of(services.providers.settings)


@router.post("/provider/check")
async def check_provider(body: ProviderCheckIn, services: ServicesDep) -> ProviderCheckOut:
    if body.provider == "echo":
        return ProviderCheckOut(
            ok=True,
            detail="The echo provider needs no connection",
            models=list(ECHO_MODELS),
            model_found=None if not body.model else body.model in ECHO_MODELS,
        )
    if not is_http_url(body.base_url):
        raise Unprocessable(BAD_BASE_URL)
    stored = services.providers.settings
    if body.api_key is not None:
        key = body.api_key.strip()
    else:  # the stored key only goes where it was given for (issue 11, item 2)
        key = stored.api_key if same_origin(stored.base_url, body.base_url) else ""
    from backend.openai.models import ConnectionCheck, check_connection  # and httpx: on use

    try:
        result = await check_connection(body.base_url.strip(), key or None, body.model or None)
    except Exception as exc:  # check_connection maps upstream failures; this is a last resort
        logger.warning("Connection check failed unexpectedly: %s", type(exc).__name__)
        result = ConnectionCheck(ok=False, detail=f"The check failed: {exc or type(exc).__name__}")
    logger.info("Connection check: %s", result.detail)
    return ProviderCheckOut(
        ok=result.ok, detail=result.detail, models=result.models, model_found=result.model_found
    )


@router.get("/provider/models")
async def provider_models(services: ServicesDep) -> ModelList:
    current: ProviderSettings = services.providers.settings
    if current.provider != "openai":
        return ModelList(models=list(ECHO_MODELS))
    from backend.openai.errors import UpstreamError
    from backend.openai.models import list_models

    try:
        models = await list_models(current.base_url, current.api_key or None)
    except UpstreamError as exc:
        raise BadGateway(exc.detail) from None
    return ModelList(models=models)
