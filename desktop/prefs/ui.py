"""What the window remembers between launches, kept in `QSettings`: its geometry, the
splitter, the last conversation and the theme.

The app uses the user's settings (organisation and application "sse-chat"); tests
pass a `QSettings` on a file of their own, so they never touch the real ones. The
provider settings share the same store (`desktop.prefs.provider.ProviderStore`).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from desktop.theme import MODES, ThemeMode

ORGANIZATION = "sse-chat"
APPLICATION = "sse-chat"


class UiSettings:
    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

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

    @property
    def pinned(self) -> list[str]:
        """The ids of the conversations pinned to the top of the sidebar, oldest pin first."""
        value = self.store.value("sidebar/pinned", [])
        if isinstance(value, str):  # QSettings gives a one-item list back as a str
            value = [value] if value else []
        return [str(v) for v in value] if isinstance(value, list) else []

    @pinned.setter
    def pinned(self, ids: list[str]) -> None:
        self.store.setValue("sidebar/pinned", list(ids))
        self.store.sync()

    @property
    def sidebar_collapsed(self) -> bool:
        value = self.store.value("sidebar/collapsed", False)
        return value is True or value == "true"

    @sidebar_collapsed.setter
    def sidebar_collapsed(self, value: bool) -> None:
        self.store.setValue("sidebar/collapsed", bool(value))

    def sync(self) -> None:
        self.store.sync()
