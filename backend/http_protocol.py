"""uvicorn's h11 protocol with the limits a server any local user can reach needs (issue 11,
item 5): a connection must send its request head within `header_timeout` seconds (idle or
half-sent connections are closed; uvicorn has a keep-alive timeout between requests, none
for the head itself), and at `max_connections` the connection that has waited longest
without a request is closed to make room, so a flood of idle sockets cannot lock out real
clients; one being answered (an event stream) is never closed. Beyond that uvicorn's own
`limit_concurrency` answers 503.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT = 10.0


class ChatConfig(uvicorn.Config):
    """`uvicorn.Config` plus the request-head timeout the protocol reads."""

    def __init__(self, *args: Any, header_timeout: float = DEFAULT_HEADER_TIMEOUT, **kw: Any):
        super().__init__(*args, **kw)
        self.header_timeout = header_timeout


class GuardedH11Protocol(H11Protocol):
    """See the module docstring."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_timeout: float = getattr(config, "header_timeout", DEFAULT_HEADER_TIMEOUT)
        self._head_timer: asyncio.TimerHandle | None = None
        #: When it began waiting for a request (None: a request is being received or answered).
        self.waiting_since: float | None = time.monotonic()

    # -- the request-head timeout -------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        self._make_room()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still no whole head: the timer runs on
            if self._head_timer is None:  # the first bytes of a next request on a kept conn
                self._arm()
        else:
            self._disarm()
            self.waiting_since = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.waiting_since = time.monotonic()  # uvicorn's keep-alive timeout runs now

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.debug("Closing a connection that sent no request head in time")
            self.transport.close()

    # -- the connection limit -------------------------------------------------------------
    @property
    def waiting(self) -> bool:
        """Whether it only waits for a request (nothing of it is being answered)."""
        return self.waiting_since is not None and self.conn.their_state is h11.IDLE

    def _make_room(self) -> None:
        limit = self.limit_concurrency
        if limit is None or len(self.connections) < limit:
            return
        idle = [
            c
            for c in self.connections
            if c is not self and isinstance(c, GuardedH11Protocol) and c.waiting
        ]
        if not idle:
            return  # every other one is being answered: uvicorn answers this one 503
        oldest = min(idle, key=lambda c: c.waiting_since or 0.0)
        oldest.connections.discard(oldest)  # counted out now (connection_lost comes later)
        oldest.transport.close()
