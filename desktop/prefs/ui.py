"""What the window remembers between launches, kept in `QSettings`: its geometry, the
splitter, the last conversation, the theme, the font size, the message density, the send key
and the composer's drafts (one per conversation).

The app uses the user's settings (organisation and application "sse-chat"); tests
pass a `QSettings` on a file of their own, so they never touch the real ones. The
provider settings share the same store (`desktop.prefs.provider.ProviderStore`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from backend.private_files import private_file, private_folder
from desktop.theme import DENSITY_MODES, MODES, Density, ThemeMode

log = logging.getLogger(__name__)

#: The font size offsets (points over the system's size) that zoom may reach.
FONT_OFFSETS = tuple(range(-4, 13))
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

    @property
    def send_with_ctrl_enter(self) -> bool:
        """Ctrl+Enter sends (Enter makes a new line); False (the default): Enter sends."""
        value = self.store.value("chat/send_with_ctrl_enter", False)
        return value is True or value == "true"

    @send_with_ctrl_enter.setter
    def send_with_ctrl_enter(self, value: bool) -> None:
        self.store.setValue("chat/send_with_ctrl_enter", bool(value))

    @property
    def font_offset(self) -> int:
        """Points added to the system's font size (Appearance; Ctrl+= / Ctrl+- / Ctrl+0)."""
        value = self.store.value("appearance/font_offset", 0)
        try:
            number = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return 0
        return number if number in FONT_OFFSETS else 0

    @font_offset.setter
    def font_offset(self, value: int) -> None:
        self.store.setValue("appearance/font_offset", int(value))

    @property
    def density(self) -> Density:
        """Message spacing (Appearance): "comfortable" until "compact" is saved."""
        value = self.store.value("appearance/density", "comfortable")
        return value if value in DENSITY_MODES else "comfortable"

    @density.setter
    def density(self, value: Density) -> None:
        self.store.setValue("appearance/density", value)
        self.store.sync()

    def draft(self, cid: str) -> str:
        """The unsent text of conversation `cid` ("" if none)."""
        value = self.store.value(f"drafts/{cid}", "") if cid else ""
        return value if isinstance(value, str) else ""

    def set_draft(self, cid: str, text: str) -> None:
        """Keep (or, when empty, forget) the unsent text of conversation `cid`."""
        if not cid:
            return
        if text:
            self.store.setValue(f"drafts/{cid}", text)
        else:
            self.store.remove(f"drafts/{cid}")

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
