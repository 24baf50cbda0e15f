"""The desktop's preferences, in one place.

- `ui.py`: `UiSettings`, what the window remembers (geometry, splitter, last
  conversation, theme) in `QSettings`;
- `provider.py`: `ProviderConfig` (where replies come from, without the key) and its
  `QSettings` store `ProviderStore`, with the backend's provider names and limits;
- `keystore.py`: `KeyStore`, the API key in the OS keyring;
- `sync.py`: `ProviderSettingsManager`, the provider settings between the disk, the
  keyring and the backend.

Nothing here draws anything; how a setting is shown is the views' business.
"""
