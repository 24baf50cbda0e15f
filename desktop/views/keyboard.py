"""The window's keyboard map: region cycling, conversation switching, copy last reply,
font zoom, and the sheet of every shortcut.

`WindowKeys(window)` makes the actions (each a `QAction` on the window, in its View menu)
and owns Tab's path through the window: the whole conversation is one stop (the chat view
itself; its messages are walked with the chat view's own keys), so Tab from the composer
never walks through every message's buttons. F6 / Shift+F6 cycle the regions (sidebar,
chat, composer); Ctrl+Tab / Ctrl+PgDn and Ctrl+Shift+Tab / Ctrl+PgUp switch conversations;
Ctrl+Shift+C copies the last reply; Ctrl+= / Ctrl+- / Ctrl+0 zoom; Ctrl+/ shows the sheet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from desktop.views.shortcuts_sheet import ShortcutsSheet
from desktop.views.zoom import FontZoom

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow


def _inside(widget: QWidget | None, region: QWidget) -> bool:
    while widget is not None:
        if widget is region:
            return True
        widget = widget.parentWidget()
    return False


def _tab_stop(widget: QWidget) -> bool:
    return (
        widget.isVisible()
        and widget.isEnabled()
        and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and widget.focusProxy() is None
    )


class WindowKeys(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.zoom = FontZoom(window.ui_settings, self)
        self.sheet: ShortcutsSheet | None = None
        window.chat_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        window.chat_view.setAccessibleName("Conversation")
        self.actions: list[QAction] = []
        add = self._action
        self.next_region = add("Next pane", ["F6"], lambda: self.cycle(1))
        self.previous_region = add("Previous pane", ["Shift+F6"], lambda: self.cycle(-1))
        self.next_chat = add(
            "Next conversation", ["Ctrl+Tab", "Ctrl+PgDown"], lambda: self.switch(1)
        )
        self.previous_chat = add(
            "Previous conversation", ["Ctrl+Shift+Tab", "Ctrl+PgUp"], lambda: self.switch(-1)
        )
        self.copy_reply = add("Copy last reply", ["Ctrl+Shift+C"], self.copy_last_reply)
        self.zoom_in = add("Zoom in", ["Ctrl+=", "Ctrl++"], self.zoom.zoom_in)
        self.zoom_out = add("Zoom out", ["Ctrl+-"], self.zoom.zoom_out)
        self.zoom_reset = add("Actual size", ["Ctrl+0"], self.zoom.reset)
        self.show_sheet = add("Keyboard shortcuts", ["Ctrl+/"], self.open_sheet)
        menu = window.menuBar().addMenu("&View")
        for action in self.actions:
            if action in (self.copy_reply, self.zoom_in, self.show_sheet):
                menu.addSeparator()
            menu.addAction(action)

    def _action(self, text: str, keys: list[str], slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.window.addAction(action)
        self.actions.append(action)
        return action

    # -- regions -------------------------------------------------------------------------
    def regions(self) -> list[QWidget]:
        """Where F6 goes, in order (a folded sidebar is left out)."""
        w = self.window
        chat = w.chat_view if w.chat_view.isVisible() else w.empty_state.cards[0]
        found: list[QWidget] = [w.sidebar.list, chat, w.composer.input]
        return [r for r in found if r.isVisible() and r.isEnabled()]

    def cycle(self, step: int) -> None:
        regions = self.regions()
        if not regions:
            return
        focus = QApplication.focusWidget()
        here = next(
            (i for i, r in enumerate(regions) if _inside(focus, self._area(r))),
            -1 if step > 0 else 0,
        )
        regions[(here + step) % len(regions)].setFocus(Qt.FocusReason.OtherFocusReason)

    def _area(self, region: QWidget) -> QWidget:
        w = self.window
        if region is w.composer.input:
            return w.composer
        if region is w.sidebar.list:
            return w.sidebar
        if region in w.empty_state.cards:
            return w.empty_state
        return region

    def tab(self, forward: bool) -> bool:
        """Tab's next stop, with the conversation as a single stop; False: Qt's own."""
        chat = self.window.chat_view
        focus = QApplication.focusWidget()
        if focus is None or focus.window() is not self.window:
            return False
        start = focus
        widget: QWidget | None = focus
        for _ in range(1000):  # the chain is a ring; bounded in case it is not
            assert widget is not None
            widget = widget.nextInFocusChain() if forward else widget.previousInFocusChain()
            if widget is None or widget is start:
                return False
            if widget is chat:
                if not _inside(start, chat) and _tab_stop(chat):
                    chat.setFocus(Qt.FocusReason.TabFocusReason)
                    return True
                continue
            if _inside(widget, chat) or widget.window() is not self.window:
                continue
            if _tab_stop(widget):
                reason = (
                    Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
                )
                widget.setFocus(reason)
                return True
        return False

    # -- conversations -------------------------------------------------------------------
    def switch(self, step: int) -> None:
        c = self.window.controller
        rows = [conv.id for conv in c.conversations.conversations]
        if not rows:
            return
        at = rows.index(c.current_id) if c.current_id in rows else (-1 if step > 0 else 0)
        c.select(rows[(at + step) % len(rows)])

    def copy_last_reply(self) -> None:
        messages = self.window.controller.current_model.messages
        reply = next((m for m in reversed(messages) if m.role == "assistant"), None)
        if reply is not None and reply.content:
            QGuiApplication.clipboard().setText(reply.content)

    # -- the sheet -----------------------------------------------------------------------
    def open_sheet(self) -> None:
        if self.sheet is None:
            self.sheet = ShortcutsSheet(self.window)
        self.sheet.fill(self.window.findChildren(QAction))
        self.sheet.show()
        self.sheet.raise_()
        self.sheet.activateWindow()
