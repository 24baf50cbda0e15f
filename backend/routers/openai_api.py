"""OpenAI-compatible routes (PROTOCOL.md section 5): `GET /v1/models`, `POST /v1/chat/completions`.

Thin: the app's services (`ServicesDep`) give the token, the limits and the current
responder; `backend.openai.completions` does the work. Every error on these paths,
including 401, 422 and a server without services, is in OpenAI's shape
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from backend.deps import NotReady, ServicesDep
from backend.errors import describe_validation_errors
from backend.openai import wire
from backend.openai.completions import Limits, chat_completion, unexpected_failure
from backend.security import request_token, token_matches

#: The `created` time of the listed model: when this server started.
CREATED = int(time.time())


class OpenAIRoute(APIRoute):
    """Answers every failure of a /v1 route in OpenAI's error shape, never `{"detail"}`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except wire.OpenAIAPIError as exc:
                return exc.response()
            except NotReady:
                return wire.OpenAIAPIError(
                    503,
                    "The OpenAI-compatible API is not configured on this server",
                    type="server_error",
                    code="not_configured",
                ).response()
            except RequestValidationError as exc:
                message = describe_validation_errors(exc.errors())
                return wire.OpenAIAPIError(422, message, code="invalid_request").response()
            except StarletteHTTPException as exc:
                kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
                return wire.OpenAIAPIError(
                    exc.status_code, str(exc.detail), type=kind, headers=exc.headers
                ).response()
            except Exception as exc:
                where = f"{request.method} {request.url.path}"  # never the query: ?token=
                return unexpected_failure(exc, where).response()

        return route


def require_api_key(request: Request, services: ServicesDep) -> None:
    """The launch token is the API key (PROTOCOL.md section 1), checked as `security` does.

    Same token sources and constant-time comparison as `backend.security.require_token`,
    but the 401 is in OpenAI's shape so OpenAI clients raise `AuthenticationError`.
    """
    settings = services.settings
    if not settings.auth:
        return
    presented = request_token(request)
    if not token_matches(presented, settings.token):
        message = (
            "Missing API key: send 'Authorization: Bearer <token>'"
            if presented is None
            else "Incorrect API key provided"
        )
        raise wire.OpenAIAPIError(
            401, message, code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"}
        )


router = APIRouter(
    prefix="/v1",
    tags=["openai"],
    route_class=OpenAIRoute,
    dependencies=[Depends(require_api_key)],
)


@router.get("/models")
async def list_models(services: ServicesDep) -> dict[str, Any]:
    responder = services.providers.current()
    entry = wire.model_entry(responder.model, created=CREATED, owned_by=responder.name)
    return {"object": "list", "data": [entry]}


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: wire.ChatCompletionRequest, request: Request, services: ServicesDep
) -> Response:
    settings = services.settings
    limits = Limits(settings.strict_model, settings.max_content_chars, settings.max_reply_chars)
    return await chat_completion(body, request, services.providers.current(), limits)


_KNOWN = {"models": "GET", "chat/completions": "POST"}


@router.api_route(
    "/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
    include_in_schema=False,
)
async def unknown_route(rest: str, request: Request) -> Response:
    """Unknown /v1 paths and wrong methods, answered in OpenAI's shape too."""
    allowed = _KNOWN.get(rest.strip("/"))
    if allowed is not None and request.method != allowed:
        return wire.OpenAIAPIError(
            405,
            f"Method {request.method} is not allowed on /v1/{rest}; use {allowed}",
            code="method_not_allowed",
            headers={"Allow": allowed},
        ).response()
    return wire.OpenAIAPIError(404, f"Unknown endpoint /v1/{rest}", code="unknown_url").response()
