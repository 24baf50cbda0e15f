"""What the window remembers between launches, kept in `QSettings`: its geometry, the
splitter, the last conversation and the theme.

The app uses the user's settings (organisation and application "sse-chat"); tests
pass a `QSettings` on a file of their own, so they never touch the real ones. The
provider settings share the same store (`desktop.prefs.provider.ProviderStore`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from backend.private_files import private_file, private_folder
from desktop.theme import MODES, ThemeMode

log = logging.getLogger(__name__)

ORGANIZATION = "sse-chat"
APPLICATION = "sse-chat"


def make_private(store: QSettings) -> None:
    """The settings file (it holds the API key when there is no keyring) readable by this
    user only: its folder 0700 and the file 0600, made so before Qt first writes it (Qt
    keeps an existing file's mode when it saves)."""
    name = store.fileName()
    if store.format() == QSettings.Format.NativeFormat and not name.endswith((".conf", ".ini")):
        return  # the Windows registry or a macOS plist: no file of ours to mode
    path = Path(name)
    try:
        private_folder(path.parent)
        private_file(path)
    except OSError as exc:
        log.warning("cannot make the settings file %s private: %s", path, exc.strerror or exc)


class UiSettings:
    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)
        make_private(self.store)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @property
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    @property
    def splitter_state(self) -> QByteArray | None:
        return self._bytes("window/splitter")

    @splitter_state.setter
    def splitter_state(self, value: QByteArray) -> None:
        self.store.setValue("window/splitter", value)

    @property
    def last_conversation(self) -> str:
        value = self.store.value("chat/last_conversation", "")
        return value if isinstance(value, str) else ""

    @last_conversation.setter
    def last_conversation(self, value: str) -> None:
        self.store.setValue("chat/last_conversation", value)

    @property
    def theme(self) -> ThemeMode:
        """The Settings dialog's choice ("system" until one is saved)."""
        value = self.store.value("appearance/theme", "system")
        return value if value in MODES else "system"

    @theme.setter
    def theme(self, mode: ThemeMode) -> None:
        self.store.setValue("appearance/theme", mode)
        self.store.sync()

    def sync(self) -> None:
        self.store.sync()
