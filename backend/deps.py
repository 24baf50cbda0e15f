"""What route handlers get injected: the running app's services."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from backend.broker import ReplyBroker
from backend.changes import ChangeFeed
from backend.config import Settings
from backend.errors import ApiError
from backend.providers import ProviderState
from backend.search_backlog import SearchIndexer
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
    import_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one import at a time
    changes: ChangeFeed = field(default_factory=ChangeFeed)  # GET /api/events
    indexer: SearchIndexer | None = None  # imported messages, indexed after the import


class NotReady(ApiError):
    """The app's services are not there (its lifespan has not run): 503."""

    status_code = 503


def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise NotReady("The server is not ready")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
