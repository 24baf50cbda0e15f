"""`KeyStore`: the provider's API key in the OS keyring (through `keyring`), when there is one.

`keyring` picks the platform's store (macOS Keychain, Windows Credential Locker, the Secret
Service on Linux desktops). Where none is usable (a headless box, a minimal container) it
falls back to `keyring.backends.fail.Keyring`, and `available()` says False: the caller then
keeps the key in its settings file and warns the user (see `desktop.prefs.provider`).

Every call may block (a keyring can ask the user to unlock it), so call `get`/`set` off the
GUI thread. The key is never logged, nor put in an exception message.

(The module is not called `secrets`, which would shadow the standard library's when
`desktop/` itself lands on `sys.path`.)
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE: Final = "sse-chat"
USERNAME: Final = "provider-api-key"


def _keyring() -> ModuleType:
    """`keyring`, imported when first used (off the GUI thread; the window starts without
    it: it reads its backends' entry points, some 40 ms)."""
    import keyring

    return keyring


def _errors() -> tuple[type[BaseException], ...]:
    from keyring.errors import KeyringError

    return (KeyringError, OSError, RuntimeError)


def _usable(backend: KeyringBackend) -> bool:
    from keyring.backends import fail

    if isinstance(backend, fail.Keyring):
        return False
    inner = getattr(backend, "backends", None)  # keyring's ChainerBackend
    if isinstance(inner, list) and not inner:
        return False
    try:
        return float(backend.priority) > 0
    except Exception:  # a backend whose priority check itself fails is not usable
        return False


class KeyStore:
    """Read and write one secret (the API key) in the OS keyring."""

    def __init__(self, service: str = SERVICE, username: str = USERNAME) -> None:
        self.service = service
        self.username = username

    def __repr__(self) -> str:
        return f"KeyStore({self.service!r})"

    def available(self) -> bool:
        """Whether a real keyring backend is there (not `keyring`'s "fail" one)."""
        try:
            return _usable(_keyring().get_keyring())
        except Exception as exc:
            log.warning("no keyring backend: %s", type(exc).__name__)
            return False

    def backend_name(self) -> str:
        try:
            backend = _keyring().get_keyring()
        except Exception:
            return "none"
        return str(getattr(backend, "name", type(backend).__name__))

    def get(self) -> str | None:
        """The stored key ("" when none), or None when the keyring cannot be used."""
        if not self.available():
            return None
        try:
            return _keyring().get_password(self.service, self.username) or ""
        except _errors() as exc:
            log.warning("reading the API key from the keyring failed: %s", type(exc).__name__)
            return None

    def set(self, key: str) -> bool:
        """Store `key` (an empty key deletes it); False when the keyring cannot be used."""
        if not self.available():
            return False
        keyring = _keyring()
        try:
            if key:
                keyring.set_password(self.service, self.username, key)
            elif keyring.get_password(self.service, self.username) is not None:
                keyring.delete_password(self.service, self.username)
        except _errors() as exc:
            log.warning("writing the API key to the keyring failed: %s", type(exc).__name__)
            return False
        log.info("API key %s the keyring", "stored in" if key else "removed from")
        return True
