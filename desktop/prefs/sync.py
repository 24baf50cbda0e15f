"""`ProviderSettingsManager`: the provider settings between the disk, the keyring and the backend.

- At start it reads the API key (keyring, else the settings file) off the GUI thread and,
  once the backend is ready (`attach`), sends the saved settings with `PUT /api/settings`;
  this works the same for the embedded backend and `--connect`. With nothing saved yet,
  the backend's own settings (its flags) are kept and only read, for the dialog.
- `check(config, key)` runs "Fetch models" / "Test connection" with unsaved settings.
- `save(config, key)` applies the settings to the backend first, and persists them (the key
  in the keyring where one is usable) only once the backend accepted them.

Every network and keyring call runs on the `ApiRunner`; results come back on the GUI thread.
The key is held in memory (`api_key`) and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop.client_errors import ApiError
from desktop.prefs.keystore import KeyStore
from desktop.prefs.provider import ProviderConfig, ProviderStore
from desktop.records import ProviderCheck
from desktop.workers.api import ApiRunner

if TYPE_CHECKING:
    from desktop.client import ChatClient

log = logging.getLogger(__name__)

NOT_READY = "The chat backend is not ready yet; try again in a moment."


class ProviderSettingsManager(QObject):
    #: The backend now uses these settings (a `ProviderConfig`).
    applied = Signal(object)
    #: The saved settings could not be applied at start: a readable reason.
    failed = Signal(str)
    #: The API key has been read from its store (see `api_key`).
    key_ready = Signal()
    #: Where the key was just stored: True = the OS keyring, False = the settings file.
    key_stored = Signal(bool)

    def __init__(
        self,
        store: ProviderStore,
        runner: ApiRunner,
        keystore: KeyStore | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.keystore = keystore if keystore is not None else KeyStore()
        self.saved = store.has_saved()
        self.config = store.load() if self.saved else ProviderConfig()
        self.client: ChatClient | None = None
        #: Whether the key lives in the OS keyring; None until the key has been read.
        self.keyring_ok: bool | None = None
        self._key: str | None = None  # None until read
        self._loading = False
        self._pushed = False
        #: Counts the user's saves: an answer to a call made before the last save (the
        #: backend's settings read at start) is older than what the user chose.
        self._saves = 0

    def __repr__(self) -> str:  # never show the key
        return f"ProviderSettingsManager({self.config!r})"

    @property
    def api_key(self) -> str | None:
        """The API key ("" = none), or None while it is still being read."""
        return self._key

    # -- start-up ------------------------------------------------------------------------
    def load_key(self, only_if_saved: bool = False) -> None:
        """Read the key off the GUI thread (once); `key_ready` follows.

        At start (`only_if_saved`) the keyring is only asked when settings were saved,
        so a first launch never touches it; the dialog asks when it opens.
        """
        if self._key is not None or self._loading or (only_if_saved and not self.saved):
            return
        self._loading = True
        self.runner.call(self.keystore.get, on_result=self._key_loaded, on_error=self._key_failed)

    def _key_loaded(self, key: str | None) -> None:
        self._loading = False
        if self._key is not None:  # saved meanwhile: that key wins
            return
        self.keyring_ok = key is not None
        if not key:  # no usable keyring, or the key was kept in the file while there was none
            key = self.store.fallback_key
        self._key = key
        self.key_ready.emit()
        self._push_saved()

    def _key_failed(self, exc: ApiError) -> None:
        self._key_loaded(None)

    def attach(self, client: ChatClient) -> None:
        """The backend is ready: send it the saved settings, or learn its own."""
        self.client = client
        if self.saved:
            self._push_saved()
        else:
            self.runner.call(
                client.get_settings, on_result=self._adopt_unless_saved(), on_error=self._ignore
            )

    def _push_saved(self) -> None:
        if self._pushed or not self.saved or self.client is None or self._key is None:
            return
        self._pushed = True
        self.runner.call(
            self.client.put_settings,
            self.config.to_body(self._key),
            on_result=self._adopt_unless_saved(),
            on_error=self._push_failed,
        )

    def _adopt_unless_saved(self) -> Callable[[dict[str, Any]], None]:
        """`_adopt`, for the answer to a call made now: dropped if the user saves first (the
        answers of the pool's calls can come back in any order)."""
        saves = self._saves

        def adopt(answer: dict[str, Any]) -> None:
            if saves == self._saves:
                self._adopt(answer)
            else:
                log.debug("dropped provider settings read before the user's save")

        return adopt

    def _adopt(self, answer: dict[str, Any]) -> None:
        self.config = ProviderConfig.from_backend(answer)
        log.info("provider settings in use: %s %s", self.config.provider, self.config.model)
        self.applied.emit(self.config)

    def _push_failed(self, exc: ApiError) -> None:
        log.warning("applying the saved provider settings failed: %s", exc.message)
        self.failed.emit(f"Your saved provider settings were not applied: {exc.message}")

    def _ignore(self, exc: ApiError) -> None:
        log.info("reading the backend's provider settings failed: %s", exc.message)

    # -- the dialog's actions --------------------------------------------------------------
    def check(
        self,
        config: ProviderConfig,
        key: str | None,
        on_result: Callable[[ProviderCheck], None],
        on_error: Callable[[str], None],
    ) -> None:
        """Test `config` (unsaved) through the backend: connection, key, models."""
        if self.client is None:
            on_error(NOT_READY)
            return
        self.runner.call(
            self.client.check_provider,
            config.check_body(key),
            on_result=on_result,
            on_error=lambda exc: on_error(exc.message),
        )

    def save(
        self,
        config: ProviderConfig,
        key: str,
        on_done: Callable[[], None],
        on_error: Callable[[str], None],
    ) -> None:
        """Apply to the backend, then persist (nothing is kept when the backend refuses).

        Without a backend (it failed to start) the settings are only persisted; they are
        sent at the next start.
        """
        if self.client is None:
            self._persist(config, key)
            on_done()
            return

        def applied(answer: dict[str, Any]) -> None:
            self._persist(config, key)
            self._adopt(answer)
            on_done()

        self.runner.call(
            self.client.put_settings,
            config.to_body(key),
            on_result=applied,
            on_error=lambda exc: on_error(exc.message),
        )

    def _persist(self, config: ProviderConfig, key: str) -> None:
        self._saves += 1
        self.store.save(config)
        self.config = config
        self.saved = True
        self._pushed = True
        self._key = key
        self.runner.call(
            self.keystore.set,
            key,
            on_result=partial(self._stored, key),
            on_error=lambda _exc: self._stored(key, False),
        )

    def _stored(self, key: str, in_keyring: bool) -> None:
        if in_keyring:
            self.store.clear_fallback_key()
        else:
            log.warning("no usable keyring: the API key is kept in the settings file")
            self.store.set_fallback_key(key)
        self.keyring_ok = in_keyring
        self.key_stored.emit(in_keyring)
