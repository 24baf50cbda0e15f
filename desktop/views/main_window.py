"""`MainWindow`: sidebar | chat view over composer, wired to a `ChatController`.

The window only assembles and lays out: its parts (the launcher, the controller, the
provider settings and the UI settings) are built by `desktop.app.build_window` and given
to it as `WindowParts`; it adopts them (they live as long as it does). It shows at once;
`start()` launches (or connects to) the backend in the background and sending is enabled
when it is ready. `shutdown()` (also run by `closeEvent`) stops the streams, the
background calls and the embedded server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.controller import ChatController
from desktop.prefs.sync import ProviderSettingsManager
from desktop.prefs.ui import UiSettings
from desktop.resources import app_icon
from desktop.safe_text import plain
from desktop.theme import (
    COMPOSER_MAX_WIDTH,
    DENSITIES,
    SIDEBAR,
    Density,
    apply_density,
    density_changes,
)
from desktop.views.about import HelpMenu
from desktop.views.chat_header import ChatHeader
from desktop.views.chat_view import ChatView
from desktop.views.composer import Composer
from desktop.views.empty_state import EmptyState
from desktop.views.keyboard import WindowKeys
from desktop.views.reveal import keep_in_sight, reveal_message
from desktop.views.search_flow import SearchFlow
from desktop.views.settings_dialog import SettingsDialog
from desktop.views.sidebar import Sidebar
from desktop.views.sidebar_flows import SidebarFlows
from desktop.views.transfer import TransferFlows
from desktop.views.widget_utils import restyle
from desktop.workers import BackendLauncher


@dataclass(frozen=True)
class WindowParts:
    """What a window shows and drives (built by `desktop.app.build_window`)."""

    ui_settings: UiSettings
    launcher: BackendLauncher
    controller: ChatController
    provider_settings: ProviderSettingsManager
    data_dir: Path  # for Help → Open data folder / About


log = logging.getLogger(__name__)

STARTING = "Starting the chat backend…"
EMPTY = "Type a message below to start a conversation."
COMPOSER_STRETCH = 100  # against 1 for each side: below its maximum width it fills the column


class MainWindow(QMainWindow):
    def __init__(self, parts: WindowParts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("SSE Chat")
        self.setWindowIcon(app_icon())
        self.ui_settings = parts.ui_settings
        self.launcher = parts.launcher
        self.controller = parts.controller
        self.provider_settings = parts.provider_settings
        for part in (self.launcher, self.controller, self.provider_settings):
            part.setParent(self)  # they go with the window
        self.settings_dialog: SettingsDialog | None = None
        self._shut_down = False
        self.backend_error = ""

        self.sidebar = Sidebar(self.controller.conversations, self)
        self.header = ChatHeader(self.controller, self)
        self.chat_view = ChatView(self)
        self.banner = plain(QLabel(self))  # errors quote the backend and upstreams
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.composer = Composer(self, self.ui_settings)

        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 6, 6)
        column.addWidget(self.header)
        self.empty_state = EmptyState(self)
        self.empty_state.suggestion_chosen.connect(self._suggested)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.chat_view)
        self.stack.addWidget(self.empty_state)
        column.addWidget(self.stack, 1)
        column.addWidget(self.banner)
        self.composer.setMaximumWidth(COMPOSER_MAX_WIDTH)
        centred = QHBoxLayout()  # the composer fills the column up to its width, centred
        centred.addStretch(1)
        centred.addWidget(self.composer, COMPOSER_STRETCH)
        centred.addStretch(1)
        column.addLayout(centred)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("splitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([SIDEBAR.width, 640])
        self.setCentralWidget(self.splitter)
        self._provider_applied(self.provider_settings.config)
        self._make_actions()
        self.keys = WindowKeys(self)  # its View menu before Help, the last one
        self.help_menu = HelpMenu(self, parts.data_dir)
        self._name_controls()
        self._wire()
        self.sidebar_flows = SidebarFlows(self, self.sidebar, self.controller, self.ui_settings)
        self.search_flow = SearchFlow(self.sidebar, self.controller)
        self.transfer = TransferFlows(self, self.controller)
        self.sidebar.export_requested.connect(self.transfer.export_conversation)
        self.controller.reveal.connect(lambda mid: reveal_message(self.chat_view, mid))
        self.controller.branches.switched.connect(lambda mid: keep_in_sight(self.chat_view, mid))
        self._restore_layout()
        self.chat_view.set_hint(STARTING)
        self.new_action.setEnabled(False)
        self.composer.focus()

    # -- construction --------------------------------------------------------------------
    def _make_actions(self) -> None:
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.triggered.connect(self.close)
        self.new_action = QAction("&New conversation", self)
        self.new_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_action.triggered.connect(self.new_conversation)
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        actions = [
            self.new_action,
            *self.controller.actions.menu,  # stop, regenerate last, edit last
            self.settings_action,
            self.quit_action,
        ]
        menu = self.menuBar().addMenu("&Chat")
        for action in actions:
            if action in (self.settings_action, self.quit_action):
                menu.addSeparator()
            menu.addAction(action)
        self.addActions(actions)

    def _name_controls(self) -> None:
        """Accessible names for the parts made elsewhere (a screen reader says them)."""
        self.sidebar.list.setAccessibleName("Conversations")
        self.sidebar.list.setAccessibleDescription("F2 renames, Del deletes")
        self.composer.setAccessibleName("Composer")
        self.banner.setAccessibleName("Message from the app")

    def _wire(self) -> None:
        c = self.controller
        self.launcher.ready.connect(self._backend_ready)
        self.launcher.failed.connect(self._backend_failed)
        self.launcher.notice.connect(self.show_error)  # a damaged history, kept and recovered
        c.ready_changed.connect(self.composer.set_ready)
        c.ready_changed.connect(self.sidebar.set_ready)
        c.ready_changed.connect(self.new_action.setEnabled)
        c.current_changed.connect(self._current_changed)
        c.streaming_changed.connect(self.composer.set_streaming)
        c.sent.connect(self._sent)
        c.reply_ended.connect(self._reply_ended)
        c.error.connect(self.show_error)
        c.error.connect(lambda _text: self.composer.send_failed())
        c.turn_requested.connect(self.clear_error)
        c.turn_requested.connect(self.composer.focus)
        c.actions.edit_requested.connect(self.chat_view.begin_edit)  # in place (issue 13)
        self.chat_view.edit_submitted.connect(lambda mid, text: c.edit_and_resend(mid, text, True))
        self.provider_settings.failed.connect(self.show_error)
        self.provider_settings.applied.connect(self._provider_applied)
        self.sidebar.new_requested.connect(self.new_conversation)
        self.sidebar.selected.connect(c.select)
        self.sidebar.delete_requested.connect(c.delete)
        self.composer.send_requested.connect(c.send)
        self.composer.edit_submitted.connect(c.edit_and_resend)
        self.composer.stop_requested.connect(c.stop)
        self.chat_view.action_requested.connect(c.actions.act)
        app = QApplication.instance()
        if isinstance(app, QApplication):  # the saved message density, then its changes
            apply_density(app, self.ui_settings.density)
            density_changes(app).connect(self._density_changed)  # a method: gone with us

    def _density_changed(self, density: Density) -> None:
        self.chat_view.set_density(DENSITIES[density])

    def _restore_layout(self) -> None:
        geometry = self.ui_settings.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(900, 640)
        splitter = self.ui_settings.splitter_state
        if splitter is not None:
            self.splitter.restoreState(splitter)

    # -- backend -------------------------------------------------------------------------
    def start(self) -> None:
        """Start (or connect to) the backend in the background."""
        # No other thread imports anything while the launcher imports the backend: two threads
        # importing at once can meet a half-initialised module (CI once saw pydantic's
        # `_validators` that way). Lexers and the keyring wait for `_backend_ready`.
        self.launcher.start()
        self.chat_view.warm_up()

    def _backend_ready(self, base_url: str, _token: str) -> None:
        """The backend answers (the controller has its client by now: `desktop.app`)."""
        if self._shut_down:
            return
        log.info("backend ready at %s", base_url)
        self.chat_view.set_hint(EMPTY)
        self.header.set_connection("online")
        self.header.fetch_models()
        self.header.refresh()
        self._watch_model()
        self.composer.focus()

    def _backend_failed(self, reason: str) -> None:
        self.backend_error = reason
        self.header.set_connection("offline", reason)
        self.chat_view.set_hint("")
        self.show_error(reason)

    # -- actions -------------------------------------------------------------------------
    def open_settings(self) -> None:
        """The Settings dialog (window-modal, never blocking the event loop)."""
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(
                self.provider_settings, self.ui_settings, self.keys.zoom, self
            )
            self.settings_dialog.accepted.connect(
                lambda: self.composer.set_ctrl_enter_sends(self.ui_settings.send_with_ctrl_enter)
            )
        self.settings_dialog.show_settings()

    def _provider_applied(self, config: object) -> None:
        """New provider settings: the picker's "Default" and its model list follow."""
        name = getattr(config, "model", "") or getattr(config, "provider", "")
        self.header.set_default_model(str(name))
        self.empty_state.set_model(str(name))
        self.header.fetch_models(force=True)

    def new_conversation(self) -> None:
        self.controller.new_conversation()
        self.composer.focus()

    def _sent(self) -> None:
        self.composer.clear_draft()
        self.chat_view.follow = True
        self.chat_view.scroll_to_bottom()

    def _suggested(self, prompt: str) -> None:
        self.composer.set_draft(prompt)
        self.composer.focus()

    def _watch_model(self) -> None:
        """Follow the shown conversation's rows: empty shows the empty state."""
        model = self.controller.current_model
        if getattr(self, "_watched", None) is not model:
            old = getattr(self, "_watched", None)
            if old is not None:
                for signal in (old.rowsInserted, old.rowsRemoved, old.modelReset):
                    signal.disconnect(self._show_empty_state)
            for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
                signal.connect(self._show_empty_state)
            self._watched = model
        self._show_empty_state()

    def _show_empty_state(self, *_args: object) -> None:
        empty = self.controller.ready and self.controller.current_model.rowCount() == 0
        self.stack.setCurrentWidget(self.empty_state if empty else self.chat_view)

    def _current_changed(self, cid: str) -> None:
        self._watch_model()
        self.sidebar.show_current(cid)
        self.chat_view.set_model(self.controller.current_model if cid else None)
        self.chat_view.set_hint("" if cid else EMPTY)
        self.composer.show_conversation(cid)
        self.composer.cancel_edit()
        self.composer.focus()

    def _reply_ended(self, _mid: str) -> None:
        if not self.sidebar.renaming:  # the focus stays in a title being edited
            self.composer.focus()

    # -- messages to the user ------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.banner.setText(text)
        restyle(self.banner, severity="error")
        self.banner.show()

    def clear_error(self) -> None:
        if not self.backend_error:
            self.banner.hide()
            self.banner.clear()

    # -- shutdown ------------------------------------------------------------------------
    def save_layout(self) -> None:
        self.ui_settings.geometry = self.saveGeometry()
        self.ui_settings.splitter_state = self.splitter.saveState()
        self.composer.save_draft()
        self.ui_settings.sync()

    def shutdown(self) -> None:
        """Stop streams, background calls and the embedded server (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.save_layout()
        self.controller.shutdown()
        self.launcher.stop()
        self.keys.zoom.restore()
        log.info("shut down")

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002 (Qt's name)
        return self.keys.tab(next) or super().focusNextPrevChild(next)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.composer.fit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
