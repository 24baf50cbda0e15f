"""`SettingsDialog`: where replies come from (echo or an OpenAI-compatible server), and the theme.

It edits a copy of the settings; "Fetch models" and "Test connection" ask the backend
(`POST /api/provider/check`) off the GUI thread, with a busy state, and show the answer as
it is. "Save" applies the settings to the backend and, once accepted, persists them (the
API key in the OS keyring, or - with a visible warning - in the settings file). The theme
applies as soon as it is chosen; Cancel puts the previous one back.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from functools import partial
from typing import cast
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
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
from desktop.prefs.ui import UiSettings
from desktop.records import ProviderCheck
from desktop.safe_text import plain
from desktop.views.form_utils import label_buddies, restyle, side_by_side
from desktop.views.theme_chooser import ThemeChooser

log = logging.getLogger(__name__)

PROVIDER_CHOICES: tuple[tuple[str, ProviderName], ...] = (
    ("Echo (repeats your message)", "echo"),
    ("OpenAI-compatible server", "openai"),
)
KEYRING_NOTE = "The key is kept in the system keyring ({backend})."
NO_KEYRING = (
    "⚠ No system keyring is available: the API key is kept in plain text in {location}, "
    "a file only your user account ({user}) can read."
)
CUSTOM_PRESET = "Presets…"
KEY_PLACEHOLDER = "none (local servers rarely need one)"
NEW_SERVER_KEY = "enter the API key for this server (the saved key is only sent to {origin})"


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


PROMPT_LINES = 3  # the system prompt box never gets smaller than this


class SettingsDialog(QDialog):
    #: A background request started (True) or ended (False).
    busy_changed = Signal(bool)

    def __init__(
        self,
        manager: ProviderSettingsManager,
        ui_settings: UiSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.manager = manager
        self._request = 0  # answers to older requests are ignored
        self._busy = False
        #: The server the saved key belongs to (it is never offered for another one).
        self._key_url = ""
        self._build(ui_settings)
        manager.key_ready.connect(self._fill_key)
        manager.key_stored.connect(self._show_key_storage)

    # -- construction ----------------------------------------------------------------------
    def _build(self, ui_settings: UiSettings) -> None:
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
        self.presets.activated.connect(self._preset_chosen)
        self.api_key = QLineEdit(self.server_box)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("none (local servers rarely need one)")
        self.show_key = QCheckBox("S&how", self.server_box)
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
        self.fetch_button.clicked.connect(self.fetch_models)
        self.system_prompt = QPlainTextEdit(self.server_box)
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setPlaceholderText("optional, e.g. “Answer briefly.”")
        self.system_prompt.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
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
        server.addRow("&Temperature:", self.temperature)
        label_buddies(server)

        self.echo_box = QGroupBox("Echo", self)
        self.echo_delay = QDoubleSpinBox(self.echo_box)
        self.echo_delay.setRange(0.0, MAX_ECHO_DELAY)
        self.echo_delay.setSingleStep(0.01)
        self.echo_delay.setDecimals(2)
        self.echo_delay.setSuffix(" s")
        echo = QFormLayout(self.echo_box)
        echo.addRow("&Pause between characters:", self.echo_delay)

        self.theme = ThemeChooser(ui_settings, self)
        self.ui_settings = ui_settings
        self.ctrl_enter = QCheckBox("Send with Ctrl+Enter (Enter makes a new line)", self)
        self.ctrl_enter.setAccessibleName("Send with Ctrl+Enter")

        self.test_button = QPushButton("Test &connection", self)
        self.test_button.clicked.connect(self.test_connection)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setMaximumWidth(90)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.result_label = QLabel(self)
        self.result_label.setObjectName("banner")  # the window banner's look (resources/styles)
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        top = QFormLayout()
        top.addRow("&Replies from:", self.provider)
        label_buddies(top)
        look = QFormLayout()
        look.addRow("Th&eme:", self.theme)
        look.addRow("Sending:", self.ctrl_enter)
        label_buddies(look)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.busy)
        test_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.server_box)
        layout.addWidget(self.echo_box)
        layout.addLayout(look)
        layout.addLayout(test_row)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        lines = self.system_prompt.fontMetrics().lineSpacing()
        self.system_prompt.setMinimumHeight(PROMPT_LINES * lines)
        self.setMinimumWidth(560)

    # -- showing -----------------------------------------------------------------------------
    def show_settings(self) -> None:
        """Fill the fields from the current settings and open the dialog (not blocking)."""
        self._request += 1
        self._set_busy(False)
        self.load(self.manager.config)
        self.theme.show_saved()
        self.ctrl_enter.setChecked(self.ui_settings.send_with_ctrl_enter)
        self.show_key.setChecked(False)
        self._fill_key()
        self.manager.load_key()
        self.result_label.hide()
        self.open()
        self.provider.setFocus()

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
        self._provider_changed()

    def _fill_key(self) -> None:
        key = self.manager.api_key
        self._key_url = self.manager.config.base_url
        self.api_key.setReadOnly(key is None)
        self.api_key.setText(key or "")
        self.api_key.setPlaceholderText("reading the keyring…" if key is None else KEY_PLACEHOLDER)
        self._base_url_changed()
        self._show_key_storage(self.manager.keyring_ok)
        self._update_buttons()

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

    def _show_key_storage(self, in_keyring: bool | None) -> None:
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

    @staticmethod
    def _select(combo: QComboBox, data: str) -> None:
        combo.setCurrentIndex(max(combo.findData(data), 0))

    # -- the draft ---------------------------------------------------------------------------
    def draft(self) -> ProviderConfig:
        """The settings as the fields have them now."""
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
        )

    @property
    def key_loaded(self) -> bool:
        """Whether the stored key has been read (Save waits for it)."""
        return self.manager.api_key is not None

    def _key(self) -> str | None:
        return self.api_key.text().strip() if self.key_loaded else None

    def _provider_changed(self) -> None:
        openai = self.provider.currentData() == "openai"
        self.server_box.setEnabled(openai)
        self.echo_box.setEnabled(not openai)
        # where the key is kept matters only where a key is used
        self.key_note.setVisible(openai)
        if not self._busy:  # a result (or a complaint) about the other provider is stale
            self._show_result("", "")
        self._update_buttons()

    def _preset_chosen(self, index: int) -> None:
        url = self.presets.itemData(index)
        if url:
            self.base_url.setText(str(url))
            self.base_url.setFocus()

    def _toggle_key(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.api_key.setEchoMode(mode)

    # -- background actions ------------------------------------------------------------------
    def _set_busy(self, busy: bool, text: str = "") -> None:
        if busy != self._busy:
            self.busy_changed.emit(busy)
        self._busy = busy
        self.busy.setVisible(busy)
        if busy:
            self._show_result(text, "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self._busy
        openai = self.provider.currentData() == "openai"
        self.test_button.setEnabled(idle)
        self.fetch_button.setEnabled(idle and openai)
        self.save_button.setEnabled(idle and self.key_loaded)

    def _show_result(self, text: str, severity: str) -> None:
        self.result_label.setText(text)
        restyle(self.result_label, severity)
        self.result_label.setVisible(bool(text))
        # the dialog grows when the result appears, rather than squeezing the form's rows
        # over each other (the system prompt slid under the temperature field): its
        # explicit minimum width means Qt keeps no minimum height of its own
        QTimer.singleShot(0, self._grow)

    def _grow(self) -> None:
        layout = self.layout()
        if layout is None:
            return
        needed = max(layout.minimumSize().height(), layout.totalHeightForWidth(self.width()))
        if needed > self.height():
            self.resize(self.width(), needed)

    def _check(self, text: str, answered: Callable[[int, ProviderCheck], None]) -> None:
        """Ask the backend to try the draft; `answered(request, answer)` follows."""
        problem = self.draft().url_problem()
        if problem:
            self._show_result(problem, "error")
            self.base_url.setFocus()
            return
        self._request += 1
        self._set_busy(True, text)
        self.manager.check(
            self.draft(),
            self._key(),
            on_result=partial(answered, self._request),
            on_error=partial(self._failed, self._request),
        )

    def fetch_models(self) -> None:
        self._check("Asking the server for its models…", self._models_fetched)

    def _models_fetched(self, request: int, answer: ProviderCheck) -> None:
        if request != self._request:
            return
        self._set_busy(False)
        if not answer.ok:
            self._show_result(f"Could not fetch the models: {answer.detail}", "error")
            return
        typed = self.model.currentText().strip()
        self.model.clear()
        self.model.addItems(answer.models)
        if typed:
            self.model.setEditText(typed)
        elif answer.models:
            self.model.setCurrentIndex(0)
        count = len(answer.models)
        found = f"{count} model{'s' if count != 1 else ''}" if count else "no models"
        self._show_result(f"The server lists {found}. Choose one, or type a name.", "")
        self.model.setFocus()

    def test_connection(self) -> None:
        self._check("Testing the connection…", self._tested)

    def _tested(self, request: int, answer: ProviderCheck) -> None:
        if request != self._request:
            return
        self._set_busy(False)
        if answer.ok:
            missing = answer.model_found is False  # some servers serve any name: a warning
            found = f"; “{self.draft().model}” is one of them" if answer.model_found else ""
            mark = "⚠" if missing else "✓"
            self._show_result(f"{mark} {answer.detail}{found}.", "error" if missing else "")
        else:
            self._show_result(f"✗ {answer.detail}", "error")
        if answer.ok and answer.models and not self.model.count():
            typed = self.model.currentText()
            self.model.addItems(answer.models)
            self.model.setEditText(typed)

    def _failed(self, request: int, reason: str) -> None:
        if request != self._request:
            return
        self._set_busy(False)
        self._show_result(f"✗ {reason}", "error")

    def save(self) -> None:
        draft = self.draft()
        problems = draft.problems()
        if problems:
            self._show_result(" ".join(problems), "error")
            return
        key = self._key()
        if key is None:
            return  # Save is disabled until the key has been read
        self._request += 1
        request = self._request
        self._set_busy(True, "Saving…")
        self.manager.save(
            draft,
            key,
            on_done=lambda: self._saved(request),
            on_error=lambda reason: self._failed(request, f"Not saved: {reason}"),
        )

    def _saved(self, request: int) -> None:
        if request != self._request:
            return
        self._set_busy(False)
        self.theme.save()
        self.ui_settings.send_with_ctrl_enter = self.ctrl_enter.isChecked()
        log.info("settings saved: provider %s", self.manager.config.provider)
        self.accept()

    # -- closing -----------------------------------------------------------------------------
    def reject(self) -> None:
        self._request += 1  # late answers are ignored
        self._set_busy(False)
        self.theme.revert()  # re-applies the saved one
        super().reject()
