"""What route handlers get injected: the running app's services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from backend.broker import ReplyBroker
from backend.changes import ChangeFeed
from backend.config import Settings
from backend.providers import ProviderState
from backend.store_thread import AsyncStore
from backend.turns import TurnService
from backend.tutorial import TutorialInbox


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: AsyncStore
    broker: ReplyBroker
    turns: TurnService
    tutorial: TutorialInbox
    providers: ProviderState
    changes: ChangeFeed = field(default_factory=ChangeFeed)  # GET /api/events


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
