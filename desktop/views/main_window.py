"""`MainWindow`: sidebar | chat view over composer, wired to a `ChatController`.

The window shows at once; `start()` launches (or connects to) the backend in the
background and enables sending when it is ready. `shutdown()` (also run by
`closeEvent`) stops the streams, the background calls and the embedded server.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from desktop import __version__
from desktop.client import ChatClient
from desktop.controller import ChatController
from desktop.provider_settings import ProviderStore
from desktop.provider_sync import ProviderSettingsManager
from desktop.render.highlight import start_warm_up
from desktop.resources import app_icon
from desktop.settings import UiSettings
from desktop.views.about import HelpMenu, data_folder_of
from desktop.views.chat_view import ChatView
from desktop.views.composer import Composer
from desktop.views.settings_dialog import SettingsDialog
from desktop.views.sidebar import Sidebar
from desktop.workers import BackendLauncher, LaunchConfig

log = logging.getLogger(__name__)

STARTING = "Starting the chat backend…"
EMPTY = "Type a message below to start a conversation."


class MainWindow(QMainWindow):
    def __init__(
        self,
        launch: LaunchConfig,
        settings: UiSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("SSE Chat")
        self.setWindowIcon(app_icon())
        self.ui_settings = settings if settings is not None else UiSettings()
        self.launcher = BackendLauncher(launch, self)
        self.controller = ChatController(self)
        self.provider_settings = ProviderSettingsManager(
            ProviderStore(self.ui_settings.store), self.controller.runner, parent=self
        )
        self.settings_dialog: SettingsDialog | None = None
        self._shut_down = False
        self.backend_error = ""

        self.sidebar = Sidebar(self.controller.conversations, self)
        self.chat_view = ChatView(self)
        self.banner = QLabel(self)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.composer = Composer(self)

        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 6, 6)
        column.addWidget(self.chat_view, 1)
        column.addWidget(self.banner)
        column.addWidget(self.composer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("splitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 580])
        self.setCentralWidget(self.splitter)
        self._make_actions()
        self.help_menu = HelpMenu(self, data_folder_of(launch))
        self._wire()
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
        self.stop_action = QAction("&Stop reply", self)
        self.stop_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_action.triggered.connect(self.composer.escape)
        self.regenerate_action = QAction("&Regenerate last reply", self)
        self.regenerate_action.setShortcut(QKeySequence("Ctrl+R"))
        self.regenerate_action.triggered.connect(self.regenerate_last)
        self.edit_action = QAction("&Edit last message", self)
        self.edit_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_action.triggered.connect(self.edit_last)
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        actions = [
            self.new_action,
            self.stop_action,
            self.regenerate_action,
            self.edit_action,
            self.settings_action,
            self.quit_action,
        ]
        menu = self.menuBar().addMenu("&Chat")
        for action in actions:
            if action in (self.settings_action, self.quit_action):
                menu.addSeparator()
            menu.addAction(action)
        self.addActions(actions)
        self.statusBar().showMessage(f"SSE Chat {__version__}")

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
        self.provider_settings.failed.connect(self.show_error)
        self.sidebar.new_requested.connect(self.new_conversation)
        self.sidebar.selected.connect(c.select)
        self.sidebar.delete_requested.connect(c.delete)
        self.composer.submitted.connect(self._submit)
        self.composer.stop_requested.connect(c.stop)
        self.chat_view.edit_requested.connect(self._edit)
        self.chat_view.regenerate_requested.connect(self._regenerate)
        self.chat_view.retry_requested.connect(self._retry)

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

    def _backend_ready(self, base_url: str, token: str) -> None:
        if self._shut_down:
            return
        log.info("backend ready at %s", base_url)
        # Start-up is over: what it made lives as long as the window. Frozen, those objects
        # are no longer scanned by each full garbage collection (one took ~50 ms on the
        # GUI thread in the middle of a streaming reply); reference counting still frees them.
        gc.freeze()
        self.statusBar().showMessage(f"Connected to {base_url}", 5000)
        self.chat_view.set_hint(EMPTY)
        start_warm_up()  # code highlighting's lexers, on a background thread
        client = ChatClient(base_url, token)
        self.controller.attach(client, self.ui_settings.last_conversation)
        self.provider_settings.load_key(only_if_saved=True)  # off the GUI thread
        self.provider_settings.attach(client)  # the saved provider settings, also in --connect
        self.composer.focus()

    def _backend_failed(self, reason: str) -> None:
        self.backend_error = reason
        self.chat_view.set_hint("")
        self.show_error(reason)

    # -- actions -------------------------------------------------------------------------
    def open_settings(self) -> None:
        """The Settings dialog (window-modal, never blocking the event loop)."""
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(self.provider_settings, self)
        self.settings_dialog.show_settings()

    def new_conversation(self) -> None:
        self.controller.new_conversation()
        self.composer.focus()

    def _submit(self, text: str) -> None:
        self.clear_error()
        if self.composer.editing_id:
            self.controller.edit_and_resend(self.composer.editing_id, text)
        else:
            self.controller.send(text)

    def _sent(self) -> None:
        self.composer.clear_draft()
        self.chat_view.follow = True
        self.chat_view.scroll_to_bottom()

    def _edit(self, mid: str) -> None:
        msg = self.controller.current_model.message(mid)
        if msg is not None:
            self.composer.begin_edit(mid, msg.content)

    def _regenerate(self, mid: str) -> None:
        self.clear_error()
        self.controller.regenerate(mid)
        self.composer.focus()

    def _retry(self, mid: str) -> None:
        self.clear_error()
        self.controller.retry(mid)
        self.composer.focus()

    def regenerate_last(self) -> None:
        """Regenerate (or retry) the conversation's last reply."""
        last = self.controller.current_model.last_assistant()
        if last is not None and not self.controller.is_streaming():
            self._retry(last.id)

    def edit_last(self) -> None:
        """Put the conversation's last user message in the composer for edit-and-resend."""
        users = [m for m in self.controller.current_model.messages if m.is_user]
        if users and not self.controller.is_streaming():
            self._edit(users[-1].id)

    def _current_changed(self, cid: str) -> None:
        self.sidebar.show_current(cid)
        self.chat_view.set_model(self.controller.current_model if cid else None)
        self.chat_view.set_hint("" if cid else EMPTY)
        self.composer.cancel_edit()
        if cid:
            self.ui_settings.last_conversation = cid
        self.composer.focus()

    def _reply_ended(self, _mid: str) -> None:
        if self.sidebar.list.state() != self.sidebar.list.State.EditingState:
            self.composer.focus()

    # -- messages to the user ------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setProperty("severity", "error")
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.banner.show()

    def clear_error(self) -> None:
        if not self.backend_error:
            self.banner.hide()
            self.banner.clear()

    # -- shutdown ------------------------------------------------------------------------
    def save_layout(self) -> None:
        self.ui_settings.geometry = self.saveGeometry()
        self.ui_settings.splitter_state = self.splitter.saveState()
        self.ui_settings.sync()

    def shutdown(self) -> None:
        """Stop streams, background calls and the embedded server (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.save_layout()
        self.controller.shutdown()
        self.launcher.stop()
        log.info("shut down")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
