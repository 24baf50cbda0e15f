"""`ModelTab`: Settings → Model, where replies come from (echo or an OpenAI-compatible server).

Its fields: the provider, the server's base URL (with presets), the API key (and where it is
kept: the note shows only where a key is used), the model (typed or fetched), the system
prompt, the temperature, and echo's pause. `load(config)` fills them, `draft()` reads them
back; "Fetch models" and "Test connection" are the dialog's to run (`fetch_requested`,
`test_requested`), off the GUI thread.
"""

from __future__ import annotations

import getpass
from typing import cast
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.prefs.provider import (
    MAX_ECHO_DELAY,
    MAX_TEMPERATURE,
    PRESETS,
    ProviderConfig,
    ProviderName,
)
from desktop.prefs.sync import ProviderSettingsManager
from desktop.safe_text import plain
from desktop.views.form_utils import (
    align_labels,
    describe,
    help_line,
    label_buddies,
    restyle,
    side_by_side,
    tidy_form,
)

PROVIDER_CHOICES: tuple[tuple[str, ProviderName], ...] = (
    ("Echo (repeats your message)", "echo"),
    ("OpenAI-compatible server", "openai"),
)
PROVIDER_HELP = (
    "Echo repeats what you send, to try the app. A server speaking the OpenAI API: "
    "Ollama, llama.cpp, LM Studio, OpenAI…"
)
KEYRING_NOTE = "The key is kept in the system keyring ({backend})."
NO_KEYRING = (
    "⚠ No system keyring is available: the API key is kept in plain text in {location}, "
    "a file only your user account ({user}) can read."
)
CUSTOM_PRESET = "Presets…"
KEY_PLACEHOLDER = "none (local servers rarely need one)"
NEW_SERVER_KEY = "enter the API key for this server (the saved key is only sent to {origin})"
PROMPT_LINES = 3  # the system prompt box never gets smaller than this


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user in the password database (a container)
        return "this user"


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, as the backend binds the key to it."""
    try:
        parts = urlsplit(url.strip())
        scheme, port = parts.scheme.lower(), parts.port
    except ValueError:
        return None
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or (443 if scheme == "https" else 80)


class ModelTab(QWidget):
    #: "Fetch models" / "Test connection" was pressed.
    fetch_requested = Signal()
    test_requested = Signal()
    #: Another provider was chosen (a result about the other one is stale).
    provider_changed = Signal()

    def __init__(self, manager: ProviderSettingsManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelTab")
        self.manager = manager
        #: The server the saved key belongs to (it is never offered for another one).
        self._key_url = ""
        self._build()

    def _build(self) -> None:
        self.provider = QComboBox(self)
        for label, name in PROVIDER_CHOICES:
            self.provider.addItem(label, name)
        self.provider.currentIndexChanged.connect(self._provider_changed)

        self.server_box = QGroupBox("OpenAI-compatible server", self)
        self.base_url = QLineEdit(self.server_box)
        self.base_url.setPlaceholderText("http://localhost:11434/v1")
        self.base_url.setClearButtonEnabled(True)
        self.base_url.textChanged.connect(self._base_url_changed)
        self.presets = QComboBox(self.server_box)
        self.presets.addItem(CUSTOM_PRESET, "")
        for server_name, url in PRESETS:
            self.presets.addItem(server_name, url)
            self.presets.setItemData(self.presets.count() - 1, url, Qt.ItemDataRole.ToolTipRole)
        self.presets.setToolTip("Fill in the usual base URL of a known server")
        self.presets.setAccessibleName("Server presets")
        self.presets.activated.connect(self._preset_chosen)
        self.api_key = QLineEdit(self.server_box)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(KEY_PLACEHOLDER)
        self.show_key = QCheckBox("S&how", self.server_box)
        self.show_key.setAccessibleName("Show the API key")
        self.show_key.toggled.connect(self._toggle_key)
        self.key_note = plain(QLabel(self.server_box))
        self.key_note.setObjectName("keyNote")
        self.key_note.setWordWrap(True)
        self.model = QComboBox(self.server_box)
        self.model.setEditable(True)
        self.model.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        model_edit = self.model.lineEdit()
        if model_edit is not None:
            model_edit.setPlaceholderText("type a model name, or fetch the list")
        self.fetch_button = QPushButton("&Fetch models", self.server_box)
        self.fetch_button.clicked.connect(self.fetch_requested)
        self.system_prompt = QPlainTextEdit(self.server_box)
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setPlaceholderText("optional, e.g. “Answer briefly.”")
        lines = self.system_prompt.fontMetrics().lineSpacing()
        self.system_prompt.setMinimumHeight(PROMPT_LINES * lines + 12)
        self.system_prompt.setMaximumHeight(2 * PROMPT_LINES * lines + 12)  # then it scrolls
        self.temperature = QDoubleSpinBox(self.server_box)
        self.temperature.setRange(-0.1, MAX_TEMPERATURE)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setSpecialValueText("server default")
        self.temperature.setToolTip("0 = focused, 2 = very random; lowest = the server's default")

        server = QFormLayout(self.server_box)
        server.addRow("Base &URL:", side_by_side(self, self.base_url, self.presets))
        server.addRow("API &key:", side_by_side(self, self.api_key, self.show_key))
        server.addRow("", self.key_note)
        server.addRow("&Model:", side_by_side(self, self.model, self.fetch_button))
        server.addRow("S&ystem prompt:", self.system_prompt)
        help_line(server, self.system_prompt, "Sent first in every conversation that has none.")
        server.addRow("&Temperature:", self.temperature)
        help_line(server, self.temperature, "0 is focused, 2 very random.")
        label_buddies(server)
        tidy_form(server)

        self.echo_box = QGroupBox("Echo", self)
        self.echo_delay = QDoubleSpinBox(self.echo_box)
        self.echo_delay.setRange(0.0, MAX_ECHO_DELAY)
        self.echo_delay.setSingleStep(0.01)
        self.echo_delay.setDecimals(2)
        self.echo_delay.setSuffix(" s")
        echo = QFormLayout(self.echo_box)
        echo.addRow("&Pause per character:", self.echo_delay)
        label_buddies(echo)
        tidy_form(echo)

        for number in (self.temperature, self.echo_delay):  # a number: no full-width box
            number.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.test_button = QPushButton("Test &connection", self)
        self.test_button.clicked.connect(self.test_requested)
        describe(
            (self.base_url, "The server's address up to /v1, e.g. http://localhost:11434/v1."),
            (self.presets, "Fills in the usual base URL of a known server."),
            (self.api_key, "Sent only to this server; leave it empty when it needs none."),
            (self.show_key, "Shows the API key as typed."),
            (self.model, "The model that answers; Fetch models lists the server's."),
            (self.fetch_button, "Asks the server for its models."),
            (self.echo_delay, "How long Echo waits between the characters of a reply."),
            (self.test_button, "Tries the settings shown, without saving them."),
        )

        top = QFormLayout()
        top.addRow("&Replies from:", self.provider)
        help_line(top, self.provider, PROVIDER_HELP)
        label_buddies(top)
        tidy_form(top)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        align_labels(top, server, echo)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.server_box)
        layout.addWidget(self.echo_box)
        layout.addLayout(test_row)
        layout.addStretch(1)

    # -- filling and reading -----------------------------------------------------------
    def load(self, config: ProviderConfig) -> None:
        self._select(self.provider, config.provider)
        self.base_url.setText(config.base_url)
        self.presets.setCurrentIndex(max(self.presets.findData(config.base_url), 0))
        self.model.clear()
        self.model.setEditText(config.model)
        self.system_prompt.setPlainText(config.system_prompt)
        temperature = config.temperature
        lowest = self.temperature.minimum()  # shown as "server default"
        self.temperature.setValue(lowest if temperature is None else temperature)
        self.echo_delay.setValue(config.echo_delay)
        self.show_key.setChecked(False)
        self._provider_changed()

    def draft(self, auto_title: bool) -> ProviderConfig:
        """The settings as the fields have them now (`auto_title` is the Chat tab's)."""
        temperature: float | None = self.temperature.value()
        if temperature is not None and temperature < 0:
            temperature = None
        return ProviderConfig(
            provider=cast(ProviderName, self.provider.currentData()),
            base_url=self.base_url.text().strip(),
            model=self.model.currentText().strip(),
            system_prompt=self.system_prompt.toPlainText(),
            temperature=temperature,
            echo_delay=round(self.echo_delay.value(), 3),
            auto_title=auto_title,
        )

    @property
    def openai(self) -> bool:
        return bool(self.provider.currentData() == "openai")

    @property
    def key_loaded(self) -> bool:
        """Whether the stored key has been read (Save waits for it)."""
        return self.manager.api_key is not None

    def key(self) -> str | None:
        return self.api_key.text().strip() if self.key_loaded else None

    def set_idle(self, idle: bool) -> None:
        self.test_button.setEnabled(idle)
        self.fetch_button.setEnabled(idle and self.openai)

    def add_models(self, models: list[str], choose_first: bool) -> None:
        """The server's models in the list, the typed name kept (else the first chosen)."""
        typed = self.model.currentText().strip()
        self.model.clear()
        self.model.addItems(models)
        if typed:
            self.model.setEditText(typed)
        elif models and choose_first:
            self.model.setCurrentIndex(0)

    # -- the key -------------------------------------------------------------------------
    def fill_key(self) -> None:
        key = self.manager.api_key
        self._key_url = self.manager.config.base_url
        self.api_key.setReadOnly(key is None)
        self.api_key.setText(key or "")
        self.api_key.setPlaceholderText("reading the keyring…" if key is None else KEY_PLACEHOLDER)
        self._base_url_changed()
        self.show_key_storage(self.manager.keyring_ok)

    def _base_url_changed(self) -> None:
        """The saved key belongs to its server's origin (so does the backend's, issue 11):
        for another one the field is emptied and asks for that server's key; back on the
        key's own server, the saved key returns (unless another was typed meanwhile)."""
        saved = self.manager.api_key
        if not saved:
            return
        own = _origin(self._key_url)
        if own is not None and _origin(self.base_url.text()) == own:
            self.api_key.setPlaceholderText(KEY_PLACEHOLDER)
            if not self.api_key.text():
                self.api_key.setText(saved)
        else:
            if self.api_key.text() == saved:
                self.api_key.clear()
            where = "its own server" if own is None else f"{own[0]}://{own[1]}:{own[2]}"
            self.api_key.setPlaceholderText(NEW_SERVER_KEY.format(origin=where))

    def show_key_storage(self, in_keyring: bool | None) -> None:
        if in_keyring is None:
            text, name, severity = "Reading the keyring…", "keyNote", ""
        elif in_keyring:
            backend = self.manager.keystore.backend_name()
            text, name, severity = KEYRING_NOTE.format(backend=backend), "keyNote", ""
        else:
            location = self.manager.store.location
            text = NO_KEYRING.format(location=location, user=_user_name())
            name, severity = "banner", "error"
        self.key_note.setText(text)
        self.key_note.setObjectName(name)
        restyle(self.key_note, severity)

    def _toggle_key(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.api_key.setEchoMode(mode)

    # -- the provider ------------------------------------------------------------------
    @staticmethod
    def _select(combo: QComboBox, data: str) -> None:
        combo.setCurrentIndex(max(combo.findData(data), 0))

    def _provider_changed(self) -> None:
        openai = self.openai
        self.server_box.setEnabled(openai)  # only the chosen provider's fields are shown
        self.server_box.setVisible(openai)
        self.echo_box.setEnabled(not openai)
        self.echo_box.setVisible(not openai)
        self.key_note.setVisible(openai)  # where the key is kept matters only where one is used
        self.fetch_button.setEnabled(openai and self.test_button.isEnabled())
        self.provider_changed.emit()

    def _preset_chosen(self, index: int) -> None:
        url = self.presets.itemData(index)
        if url:
            self.base_url.setText(str(url))
            self.base_url.setFocus()
