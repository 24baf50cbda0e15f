"""The tutorial's routes (PROTOCOL.md section 6): `POST /stream` and `GET /stream`."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from sse_starlette import EventSourceResponse

from backend.deps import ServicesDep
from backend.errors import Unprocessable, describe_validation_errors
from backend.schemas import TutorialMessage, check_unicode
from backend.security import require_token
from backend.sse import stream_response
from backend.tutorial import tutorial_events

router = APIRouter(prefix="/stream", dependencies=[Depends(require_token)])


@router.post("", response_class=PlainTextResponse)
async def post_message(request: Request, services: ServicesDep) -> PlainTextResponse:
    # Parsed by hand: the tutorial's browser client may not send `application/json`.
    try:
        body = TutorialMessage.model_validate(json.loads(await request.body()))
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deeply
        if isinstance(exc, ValidationError):
            raise Unprocessable(describe_validation_errors(exc.errors())) from None
        raise Unprocessable("The body is not valid JSON") from None
    check_unicode(body.message, "The message")
    services.tutorial.post(body.message)
    return PlainTextResponse("success")


@router.get("", response_class=EventSourceResponse)
async def stream(services: ServicesDep) -> EventSourceResponse:
    events = tutorial_events(services.tutorial.take(), services.settings.echo_delay)
    return stream_response(events, services.settings.ping_interval)
