"""`ChangeWorker`: follows the backend's change stream (`GET /api/events`,
docs/API-EXTENSIONS.md) on its own QThread.

`changed(type, data)` carries each event (`conversation.created`, `message.created`,
`reset`, ...; `data` the decoded JSON object) to the GUI thread. A dropped connection is
resumed with `Last-Event-ID` = the last id seen, after a growing pause, for as long as the
worker runs (a backend that restarts is found again); a refusal (401, 400) ends it with
`failed(reason)`. `stop()` shuts the socket down, which wakes a blocked read at once.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

from desktop.client_errors import ApiError, StreamDropped
from desktop.workers.abort import Abort

if TYPE_CHECKING:
    import requests

    from desktop.client import ChatClient

log = logging.getLogger(__name__)

#: Waits before reconnecting after 1, 2, ... failures in a row (the last one repeats).
RETRY = (0.1, 0.5, 1.0, 2.0, 5.0)


class ChangeWorker(QThread):
    changed = Signal(str, object)
    failed = Signal(str)

    def __init__(self, client: ChatClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("change-stream")
        self.client = client
        self.last_event_id = ""
        self.connections = 0  # times connected (for tests)
        self._abort = Abort()

    def stop(self) -> None:
        self._abort.stop()

    def run(self) -> None:
        try:
            session = self.client.new_session()
        except ApiError as exc:
            self.failed.emit(exc.message)
            return
        session.hooks["response"].append(self._abort.remember)
        try:
            self._follow(session)
        except Exception:  # never let a bug kill the thread silently
            log.exception("change stream worker crashed")
            self.failed.emit("Live updates stopped because of an internal error.")
        finally:
            self.client.release(session)

    def _follow(self, session: requests.Session) -> None:
        failures = 0
        while not self._abort.is_set():
            try:
                source = self.client.open_change_stream(self.last_event_id, session)
            except ApiError as exc:
                if exc.status != 0:
                    if not self._abort.is_set():
                        self.failed.emit(exc.message)
                    return
                failures += 1
                if self._abort.wait(RETRY[min(failures, len(RETRY)) - 1]):
                    return
                continue
            self.connections += 1
            try:
                for event in source:
                    if self._abort.is_set():
                        return
                    failures = 0
                    if event.last_event_id:
                        self.last_event_id = event.last_event_id
                    if not event.type or not event.data:
                        continue
                    data = json.loads(event.data)
                    self.changed.emit(event.type, data if isinstance(data, dict) else {})
            except (StreamDropped, OSError, ValueError) as exc:  # requests' are OSErrors
                log.info("change stream dropped after %s: %r", self.last_event_id, exc)
            finally:
                self._abort.forget()
                source.close()
            failures += 1
            if self._abort.wait(RETRY[min(failures, len(RETRY)) - 1]):
                return
