"""`create_app(settings)`: assembles middleware, routers and the services' lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backend import __version__
from backend.broker import ReplyBroker
from backend.changes import CONVERSATION_UPDATED, ChangeFeed
from backend.config import Settings
from backend.datalock import AlreadyInUse
from backend.deps import Services
from backend.errors import install_error_handlers
from backend.providers import ProviderState
from backend.responders import Responder
from backend.routers import (
    conversations,
    events,
    health,
    messages,
    openai_api,
    provider_settings,
    search,
    transfer,
    tutorial,
)
from backend.search_backlog import SearchIndexer
from backend.security import install_security
from backend.store import Store
from backend.store_thread import AsyncStore, NoticeListener
from backend.titles import ConversationNamer
from backend.turns import TurnService
from backend.tutorial import TutorialInbox
from backend.web import install_web

logger = logging.getLogger(__name__)


def _first_write(store: Store) -> None:
    """What a start-up writes before anything else (once the start-up check is over)."""
    store.mark_streaming_interrupted()
    store.discard_unfinished_imports()


def describe_startup_error(exc: BaseException, settings: Settings) -> str:
    if isinstance(exc, AlreadyInUse):
        return str(exc)
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        where = exc.filename or settings.data_dir
        return f"Cannot use the data folder ({where}): {reason}"
    return f"Cannot open the chat history in {settings.data_dir}: {exc}"


def create_app(
    settings: Settings,
    responder: Responder | None = None,
    on_notice: NoticeListener | None = None,
) -> FastAPI:
    """The ASGI app. Its store opens on start-up and closes, writes finished, on shutdown.

    Replies come from `settings.provider_settings` (echo by default) and follow every
    `PUT /api/settings`. `responder`, if given, is used instead until the first such `PUT`.
    `on_notice` is told (on the event loop) if the chat history was found damaged and what
    was recovered. Raises `InvalidProviderSettings` for settings that cannot make a responder.
    """
    providers = ProviderState(settings.provider_settings, responder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            # Replies left `streaming` by a previous process are marked once the start-up
            # check is over, before any other write (until then they are shown interrupted);
            # so are the conversations of an import a previous process left unfinished.
            store = await AsyncStore.open(
                settings.db_path, first_write=_first_write, on_notice=on_notice
            )
        except Exception as exc:
            app.state.startup_error = describe_startup_error(exc, settings)
            logger.error("Start-up failed: %s", app.state.startup_error)
            raise
        broker = ReplyBroker()
        changes = ChangeFeed()
        namer = ConversationNamer(
            store,
            lambda: providers.settings.auto_title,
            renamed=lambda conv: changes.conversation(CONVERSATION_UPDATED, conv),
        )
        turns = TurnService(
            store,
            broker,
            providers.current,
            settings.persist_interval,
            namer,
            changes,
            max_reply_chars=settings.max_reply_chars,
            max_tokens=settings.max_tokens,
            save_retry_seconds=settings.save_retry_seconds,
            save_retry_interval=settings.save_retry_interval,
        )
        import_lock = asyncio.Lock()
        indexer = SearchIndexer(store, import_lock)
        app.state.services = Services(
            settings,
            store,
            broker,
            turns,
            TutorialInbox(),
            providers,
            import_lock=import_lock,
            changes=changes,
            indexer=indexer,
        )
        indexer.start()
        try:
            yield
        finally:
            broker.close_subscribers()
            changes.close()
            await indexer.stop()
            await turns.shutdown()
            await store.close()
            logger.info("Chat history closed")

    app = FastAPI(
        title="SSE Chat",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.startup_error = None
    install_error_handlers(app)
    install_security(app, settings)
    install_web(app)  # GET /, /app/*, and the headers of section 12 on every answer
    routers = (health, conversations, messages, provider_settings, tutorial, search, transfer)
    for module in (*routers, events):
        app.include_router(module.router)
    # Last: the /v1 router ends with a catch-all for OpenAI-shaped 404s.
    app.include_router(openai_api.router)
    return app


def begin_shutdown(app: FastAPI) -> None:
    """End every open event stream so the server's connections can drain."""
    services: Services | None = getattr(app.state, "services", None)
    if services is not None:
        services.broker.close_subscribers()
        services.changes.close()
