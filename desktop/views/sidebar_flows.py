"""`SidebarFlows`: the window-level behaviour of the sidebar, kept out of `MainWindow`.

- pins: stored in the UI settings (`UiSettings.pinned`, conversation ids), shown first;
- Ctrl+B (or the sidebar's « button) hides/shows the sidebar; below `SIDEBAR.fold_below`
  px of window width it folds away by itself and comes back when the window is wide again
  (unless the user hid it);
- Ctrl+K focuses the search field, F2 renames the shown conversation.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from desktop.controller import ChatController
from desktop.prefs.ui import UiSettings
from desktop.theme import SIDEBAR
from desktop.views.sidebar import Sidebar


class SidebarFlows(QObject):
    def __init__(
        self,
        window: QMainWindow,
        sidebar: Sidebar,
        controller: ChatController,
        ui_settings: UiSettings,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.sidebar = sidebar
        self.controller = controller
        self.ui_settings = ui_settings
        self.user_collapsed = ui_settings.sidebar_collapsed
        self.auto_folded = False
        controller.conversations.set_pinned(ui_settings.pinned)
        sidebar.pin_toggled.connect(self.toggle_pin)
        sidebar.collapse_requested.connect(self.toggle_sidebar)
        controller.conversations.rowsRemoved.connect(self._forget_gone_pins)

        self.toggle_action = self._action("Toggle &sidebar", "Ctrl+B", self.toggle_sidebar)
        self.search_action = self._action("&Search conversations", "Ctrl+K", self.focus_search)
        self.rename_action = self._action("&Rename conversation", "F2", self._rename_shown)
        window.installEventFilter(self)
        self._apply()

    def _action(self, text: str, keys: str, slot: object) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    # -- pins ----------------------------------------------------------------------------
    def toggle_pin(self, cid: str) -> None:
        pins = self.controller.conversations.pinned
        pins = [p for p in pins if p != cid] if cid in pins else [*pins, cid]
        self.controller.conversations.set_pinned(pins)
        self.ui_settings.pinned = pins

    def _forget_gone_pins(self) -> None:
        model = self.controller.conversations
        pins = [p for p in model.pinned if model.get(p) is not None]
        if pins != model.pinned:
            model.set_pinned(pins)
            self.ui_settings.pinned = pins

    # -- collapsing ----------------------------------------------------------------------
    @property
    def narrow(self) -> bool:
        return self.window.width() < SIDEBAR.fold_below

    def toggle_sidebar(self) -> None:
        """Hide the sidebar if it is shown, show it if it is hidden (even in a narrow
        window: the user asked)."""
        shown = self.sidebar.isVisibleTo(self.window)
        self.user_collapsed = shown
        self.auto_folded = False
        self.ui_settings.sidebar_collapsed = self.user_collapsed
        self.sidebar.setVisible(not shown)
        if shown and self.sidebar.isAncestorOf(self.window.focusWidget()):
            self.window.focusNextChild()

    def _apply(self) -> None:
        if self.user_collapsed:
            self.sidebar.hide()
        elif self.narrow and not self.auto_folded and self.sidebar.isVisibleTo(self.window):
            self.auto_folded = True
            self.sidebar.hide()
        elif not self.narrow and self.auto_folded:
            self.auto_folded = False
            self.sidebar.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize:
            self._apply()
        return False

    # -- keyboard ------------------------------------------------------------------------
    def focus_search(self) -> None:
        if not self.sidebar.isVisibleTo(self.window):
            self.toggle_sidebar()
        self.sidebar.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.sidebar.search.selectAll()

    def _rename_shown(self) -> None:
        if self.controller.current_id:
            if not self.sidebar.isVisibleTo(self.window):
                self.toggle_sidebar()
            self.sidebar.rename(self.controller.current_id)
