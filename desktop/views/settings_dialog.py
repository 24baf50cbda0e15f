"""`SettingsDialog`: the app's settings as three tabs, Model, Appearance and Chat.

- **Model** (`settings_model.ModelTab`): where replies come from (echo or an
  OpenAI-compatible server: base URL, key, model, system prompt, temperature).
- **Appearance** (`settings_appearance.AppearanceTab`): theme, font size (the zoom keys'
  size), message density; each applies at once, Cancel puts the previous ones back.
- **Chat** (`settings_chat.ChatTab`): naming conversations with the model, the send key.

It edits a copy of the settings; "Fetch models" and "Test connection" ask the backend
(`POST /api/provider/check`) off the GUI thread, with a busy state, and show the answer as
it is, under the tabs. "Save" (or Enter) applies the provider settings to the backend off
the GUI thread and, once accepted, persists them (the API key in the OS keyring, or - with a
visible warning - in the settings file) and the window's; a refusal keeps every entry and
says why. Esc cancels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.prefs.provider import ProviderConfig
from desktop.prefs.sync import ProviderSettingsManager
from desktop.prefs.ui import UiSettings
from desktop.records import ProviderCheck
from desktop.theme import SETTINGS_MIN_WIDTH
from desktop.views.form_utils import describe, restyle
from desktop.views.settings_appearance import AppearanceTab
from desktop.views.settings_chat import ChatTab
from desktop.views.settings_model import PROVIDER_CHOICES, ModelTab
from desktop.views.zoom import FontZoom

__all__ = ["PROVIDER_CHOICES", "SettingsDialog"]

log = logging.getLogger(__name__)

#: The tabs and what each holds (its tooltip; a screen reader's description of the tab bar).
TABS = (
    ("Model", "Where replies come from: the provider, server, key, model and prompt."),
    ("Appearance", "Theme, font size and message density, shown at once."),
    ("Chat", "Naming conversations, and which key sends."),
)


class SettingsDialog(QDialog):
    #: A background request started (True) or ended (False).
    busy_changed = Signal(bool)

    def __init__(
        self,
        manager: ProviderSettingsManager,
        ui_settings: UiSettings,
        zoom: FontZoom,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.manager = manager
        self.ui_settings = ui_settings
        self._request = 0  # answers to older requests are ignored
        self._busy = False
        self._build(zoom)
        manager.key_ready.connect(self._fill_key)
        manager.key_stored.connect(self.model_tab.show_key_storage)

    # -- construction ----------------------------------------------------------------------
    def _build(self, zoom: FontZoom) -> None:
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        self.tabs.tabBar().setAccessibleName("Settings sections")
        self.tabs.setMinimumWidth(SETTINGS_MIN_WIDTH)
        self.model_tab = ModelTab(self.manager, self.tabs)
        self.appearance = AppearanceTab(self.ui_settings, zoom, self.tabs)
        self.chat = ChatTab(self.tabs)
        pages = (self.model_tab, self.appearance, self.chat)
        for page, (name, holds) in zip(pages, TABS, strict=True):
            self.tabs.setTabToolTip(self.tabs.addTab(page, name), holds)
        tab = self.model_tab
        tab.fetch_requested.connect(self.fetch_models)
        tab.test_requested.connect(self.test_connection)
        tab.provider_changed.connect(self._provider_changed)
        # the fields by their names on the dialog (the tests and scripts/screenshots.py)
        self.provider, self.server_box, self.echo_box = tab.provider, tab.server_box, tab.echo_box
        self.base_url, self.api_key, self.show_key = tab.base_url, tab.api_key, tab.show_key
        self.key_note, self.model, self.fetch_button = tab.key_note, tab.model, tab.fetch_button
        self.system_prompt, self.temperature = tab.system_prompt, tab.temperature
        self.echo_delay, self.test_button = tab.echo_delay, tab.test_button
        self.theme, self.ctrl_enter = self.appearance.theme, self.chat.ctrl_enter

        self.result_label = QLabel(self)
        self.result_label.setObjectName("banner")  # the window banner's look (resources/styles)
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setMaximumWidth(90)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Working")
        self.busy.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)  # Enter saves
        for button in self.buttons.buttons():
            button.setIcon(QIcon())  # plain words, as the rest of the window
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        describe(
            (self.save_button, "Applies and keeps these settings (Enter)."),
            (cancel, "Closes without saving; what changed at once is put back (Esc)."),
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        bottom = QHBoxLayout()
        bottom.addWidget(self.busy)
        bottom.addWidget(self.buttons, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.result_label)
        layout.addLayout(bottom)

    # -- showing -----------------------------------------------------------------------------
    def show_settings(self) -> None:
        """Fill the fields from the current settings and open the dialog (not blocking)."""
        self._request += 1
        self._set_busy(False)
        config = self.manager.config
        self.model_tab.load(config)
        self.appearance.show_saved()
        self.chat.load(config.auto_title, self.ui_settings.send_with_ctrl_enter)
        self._fill_key()
        self.manager.load_key()
        self._show_result("", "")
        self.tabs.setCurrentWidget(self.model_tab)
        self.open()
        self.provider.setFocus()

    def _fill_key(self) -> None:
        self.model_tab.fill_key()
        self._update_buttons()

    # -- the draft ---------------------------------------------------------------------------
    def draft(self) -> ProviderConfig:
        """The provider settings as the fields have them now."""
        return self.model_tab.draft(auto_title=self.chat.auto_title.isChecked())

    @property
    def key_loaded(self) -> bool:
        """Whether the stored key has been read (Save waits for it)."""
        return self.model_tab.key_loaded

    def _provider_changed(self) -> None:
        if not self._busy:  # a result (or a complaint) about the other provider is stale
            self._show_result("", "")
        self._update_buttons()

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
        self.model_tab.set_idle(idle)
        self.save_button.setEnabled(idle and self.key_loaded)

    def _show_result(self, text: str, severity: str) -> None:
        self.result_label.setText(text)
        restyle(self.result_label, severity)
        self.result_label.setVisible(bool(text))
        # the dialog grows when the result appears, rather than squeezing the tabs' rows
        # over each other (the system prompt once slid under the temperature field)
        QTimer.singleShot(0, self._grow)

    def _grow(self) -> None:
        layout = self.layout()
        if layout is None:
            return
        needed = max(layout.minimumSize().height(), layout.totalHeightForWidth(self.width()))
        if needed > self.height():
            self.resize(self.width(), needed)

    def _complain(self, text: str, field: QWidget) -> None:
        """A problem with a Model field: said under the tabs, that field shown and focused."""
        self._show_result(text, "error")
        self.tabs.setCurrentWidget(self.model_tab)
        field.setFocus()

    def _check(self, text: str, answered: Callable[[int, ProviderCheck], None]) -> None:
        """Ask the backend to try the draft; `answered(request, answer)` follows."""
        problem = self.draft().url_problem()
        if problem:
            self._complain(problem, self.base_url)
            return
        self._request += 1
        self._set_busy(True, text)
        self.manager.check(
            self.draft(),
            self.model_tab.key(),
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
        self.model_tab.add_models(answer.models, choose_first=True)
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
            self.model_tab.add_models(answer.models, choose_first=False)

    def _failed(self, request: int, reason: str) -> None:
        if request != self._request:
            return
        self._set_busy(False)
        self._show_result(f"✗ {reason}", "error")

    def save(self) -> None:
        draft = self.draft()
        problems = draft.problems()
        if problems:
            field = self.base_url if draft.url_problem() else self.model
            self._complain(" ".join(problems), field)
            return
        key = self.model_tab.key()
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
        self.appearance.save()
        self.ui_settings.send_with_ctrl_enter = self.ctrl_enter.isChecked()
        log.info("settings saved: provider %s", self.manager.config.provider)
        self.accept()

    # -- closing -----------------------------------------------------------------------------
    def reject(self) -> None:
        self._request += 1  # late answers are ignored
        self._set_busy(False)
        self.appearance.revert()  # re-applies the saved theme, size and density
        super().reject()
