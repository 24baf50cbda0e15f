"""`ChatView`: the messages of one conversation, as a scrolling column of bubbles.

It mirrors a `MessageListModel` (inserts, removals, per-row changes, resets), but only
through a *window* of rows (`RowWindow`): a long conversation opens with its newest
`INITIAL_ROWS` messages; older ones are added a page at a time as the user scrolls near
the top (the scroll position stays put), and widgets far below are dropped again
(`MAX_WIDGETS`), so memory stays bounded however long the history. Rows of the model
outside the window have no widget.

It follows the bottom while a reply grows; when the user scrolls up it stays put, and a
"Jump to latest" button (bottom-right) brings the view back to the end and following.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QColor, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.safe_text import plain
from desktop.theme import DensityMetrics, colors_of, current_density
from desktop.views.jump_button import JumpButton
from desktop.views.message_widget import MessageWidget
from desktop.views.restyle import restyle_tree
from desktop.views.row_window import INITIAL_ROWS, MAX_WIDGETS, Added, RowWindow
from desktop.views.scroll_anchor import ScrollAnchor
from desktop.views.slim_scroll_bar import SlimScrollBar
from desktop.views.spare_messages import SpareMessages
from desktop.views.widget_utils import discard

log = logging.getLogger(__name__)

READING_WIDTH = 760  # DESIGN.md: the reading column's text width
COLUMN_PAD = 24  # DESIGN.md: its side padding

__all__ = ["INITIAL_ROWS", "MAX_WIDGETS", "ChatView"]

Index = QModelIndex | QPersistentModelIndex
FOLLOW_SLACK = 24  # px from the bottom that still counts as "at the bottom"
NEAR_EDGE = 400  # px from the top (or bottom) that loads the next page


class ChatView(QScrollArea):
    #: A message's button asks for (`MessageAction`, message id), for `ChatActions.act`.
    action_requested = Signal(str, str)
    #: A message edited in place: (its id, the new text) to resend.
    edit_submitted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there: a bar appearing would narrow the column and lay out every message
        # shown (every document in it) again.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self._content = QWidget(self)
        # Its background is one colour: grown (a streaming reply), only the new strip is
        # painted, not the whole column again (see `desktop.views.message_widget`).
        self._content.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        # An opaque background of its own (the palette's, not the stylesheet's: Qt scrolls
        # a widget with a styled background by painting all of it again), so following a
        # growing reply moves what is on screen and paints only the strip scrolled in.
        self._paint_background()
        self._column = QVBoxLayout(self._content)
        # The column is at least as tall as its messages at once: a reply grown by a line
        # makes the column taller before the messages are placed, instead of the column
        # first squeezing every message above (moving them all, a repaint of the whole
        # view) until the scroll area resizes it a moment later.
        self._column.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self._column.setContentsMargins(12, 12, 12, 12)
        self._column.setSpacing(current_density().message_gap)
        self.hint = plain(QLabel(self._content))
        self.hint.setObjectName("emptyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self._column.addWidget(self.hint)
        self._column.addStretch(1)
        self.setWidget(self._content)
        self._spares = SpareMessages(self._content)  # a turn's two widgets, made ahead
        #: Widgets of the rows of `row_window`, in order.
        self.widgets: list[MessageWidget] = []
        self.row_window = RowWindow()
        self.model: MessageListModel | None = None
        self._follow = True
        self._paging = False
        self.jump_button = JumpButton(self)
        self.jump_button.clicked.connect(self.jump_to_latest)
        self._page_timer = QTimer(self)
        self._page_timer.setSingleShot(True)
        self._page_timer.setInterval(0)
        self._page_timer.timeout.connect(self._page_if_near_edge)
        self._reveal_timer = QTimer(self)  # messages that came into view render their parts
        self._reveal_timer.setSingleShot(True)
        self._reveal_timer.setInterval(0)
        self._reveal_timer.timeout.connect(self._reveal_visible)
        self.setVerticalScrollBar(SlimScrollBar(self))
        bar = self.verticalScrollBar()
        #: While paging: a widget on screen held where it is whatever changes above it,
        #: until the user scrolls.
        self._anchor = ScrollAnchor(bar)
        bar.rangeChanged.connect(self._range_changed)
        bar.valueChanged.connect(self._value_changed)
        self.set_hint("")
        # A new theme (`desktop.theme.apply_theme`: the app's palette, then its stylesheet)
        # restyles every message shown, once, when both are in place. (Connecting to
        # `theme_changes(app)` from here outlives a deleted view in PySide6: a crash.)
        self._restyle_timer = QTimer(self)
        self._restyle_timer.setSingleShot(True)
        self._restyle_timer.setInterval(0)
        self._restyle_timer.timeout.connect(self._theme_changed)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._restyle_timer.start()
        super().changeEvent(event)

    def _paint_background(self) -> None:
        """The column and the scroll bar's strip in the page colour, opaque: what changes
        in them is painted without the widgets under them (the window, the splitter...)."""
        strip = self.verticalScrollBar().parentWidget()  # (Qt's container of the bar)
        for widget in (self._content, strip):
            if widget is None:
                continue
            palette = widget.palette()
            palette.setColor(QPalette.ColorRole.Window, QColor(colors_of().chat_bg))
            widget.setPalette(palette)
            widget.setAutoFillBackground(True)

    def _theme_changed(self) -> None:
        self._paint_background()
        self._spares.drop()
        count, seconds = restyle_tree(self._content)
        log.debug("restyled %d widgets in %.1f ms", count, seconds * 1000)

    def set_density(self, density: DensityMetrics) -> None:
        """Space the messages shown (and those to come) by `density` (Appearance)."""
        self._column.setSpacing(density.message_gap)
        self._spares.drop()
        for widget in self.widgets:
            widget.set_density(density)

    # -- state -------------------------------------------------------------------------
    @property
    def follow(self) -> bool:
        return self._follow

    @follow.setter
    def follow(self, value: bool) -> None:
        if value != self._follow:
            self._follow = value
            self.jump_button.setVisible(not value and self.model is not None)

    @property
    def first_row(self) -> int:
        """The first row with a widget."""
        return self.row_window.first

    @property
    def end_row(self) -> int:
        """One past the last row with a widget."""
        return self.row_window.end

    @property
    def at_end(self) -> bool:
        """The window reaches the conversation's last message."""
        return self.model is None or self.row_window.reaches_end(self.model.rowCount())

    # -- model binding ---------------------------------------------------------------
    def set_model(self, model: MessageListModel | None) -> None:
        if model is self.model:
            return
        if self.model is not None:
            for signal, slot in self._connections():
                signal.disconnect(slot)
        self.model = model
        if model is not None:
            for signal, slot in self._connections():
                signal.connect(slot)
        self._rebuild()

    def _connections(self) -> list[tuple[SignalInstance, Callable[..., Any]]]:
        assert self.model is not None
        m = self.model
        return [
            (m.modelReset, self._rebuild),
            (m.rowsInserted, self._inserted),
            (m.rowsRemoved, self._removed),
            (m.dataChanged, self._changed),
        ]

    def warm_up(self) -> None:
        """Make (and drop) one message of each kind, hidden: the binding creates its enum
        types and Qt its style data on first use, which would otherwise fall on the
        first message a user sends (one run took 160 ms there)."""
        sample = "Warm-up **text**\n\n- item\n\n```python\nx = 1\n```\n\n| a |\n|---|\n| 1 |\n"
        for role in ("user", "assistant"):
            widget = MessageWidget(Message("warm-up", "", role, sample, "complete", ""))
            widget.set_note("")
            widget.set_actions(last=True, busy=False)
            widget.deleteLater()

    def set_hint(self, text: str) -> None:
        """A line shown above the messages (e.g. while the backend starts)."""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _rebuild(self) -> None:
        self._anchor.release()
        self._drop(range(len(self.widgets)))
        rows = self.model.rowCount() if self.model is not None else 0
        self._create(self.row_window.open(rows))
        self.follow = True
        self.jump_button.hide()
        self.scroll_to_bottom()
        self._spares.prepare()

    # -- widgets of rows -----------------------------------------------------------------
    def _make(self, row: int, at: int) -> None:
        """A widget for model row `row` at window position `at`."""
        assert self.model is not None
        msg = self.model.message_at(row)
        widget = self._spares.take(msg) or MessageWidget(msg, self._content)
        widget.set_note(self.model.note(msg.id))
        widget.action_requested.connect(self.action_requested)
        widget.edit_submitted.connect(self.edit_submitted)
        widget.fold_toggled.connect(self._fold_toggled)
        self._column.insertWidget(1 + at, widget)  # the hint is item 0, the stretch last
        self.widgets.insert(at, widget)
        widget.show()

    def _create(self, added: Added) -> None:
        """Widgets for a page of rows the window gained at one of its edges."""
        # the column is laid out once for the batch, not once per widget shown
        self._column.setEnabled(False)
        try:
            self._add(added)
        finally:
            self._column.setEnabled(True)
            self._column.invalidate()
        self._update_actions()

    def _add(self, added: Added) -> None:
        for offset, row in enumerate(added.rows):
            self._make(row, added.at + offset)

    def _drop(self, positions: range) -> None:
        """Remove the widgets at these window positions (the window has let them go)."""
        discard(self.widgets[positions.start : positions.stop])
        del self.widgets[positions.start : positions.stop]

    def _inserted(self, parent: Index, first: int, last: int) -> None:
        assert self.model is not None
        where = self.row_window.inserted(first, last - first + 1, self.model.rowCount())
        if where == "below":  # newer rows below a window that does not reach them
            self.jump_button.show()
        if not isinstance(where, Added):  # (or older rows, above the window)
            return
        self._add(where)
        if self._follow:
            self._drop(self.row_window.cut_top())
        self._update_actions()

    def _removed(self, parent: Index, first: int, last: int) -> None:
        self._drop(self.row_window.removed(first, last - first + 1))
        self._update_actions()

    def _changed(self, top: Index, bottom: Index, roles: list[int] = ()) -> None:  # type: ignore[assignment]
        assert self.model is not None
        for row in self.row_window.rows_in(top.row(), bottom.row() + 1):
            msg = self.model.message_at(row)
            self.widgets[self.row_window.position(row)].set_message(msg, self.model.note(msg.id))
        if not roles or MessageListModel.StatusRole in roles or MessageListModel.NoteRole in roles:
            self._update_actions()

    def begin_edit(self, mid: str, _text: str = "") -> None:
        """Edit message `mid` in place (shown: it is brought into view first)."""
        for widget in self.widgets:
            if widget.message.id == mid:
                widget.begin_edit()
                self.ensureWidgetVisible(widget)
                return

    def _update_actions(self) -> None:
        busy = bool(self.model and self.model.streaming())
        last = self.model.rowCount() - 1 if self.model is not None else -1
        for offset, widget in enumerate(self.widgets):
            widget.set_actions(last=self.first_row + offset == last, busy=busy)

    # -- paging through a long history -----------------------------------------------------
    def _settle(self) -> None:
        """Lay the column out now, so widget positions are current."""
        QCoreApplication.sendPostedEvents(self._content, QEvent.Type.LayoutRequest)
        self._column.activate()
        QCoreApplication.sendPostedEvents(self, QEvent.Type.LayoutRequest)

    def load_older(self) -> bool:
        """Add a page of older messages above the window (what is on screen stays put);
        False when there are none."""
        if self.model is None or self.first_row == 0:
            return False
        self._paging = True
        self._settle()
        self._anchor.hold_top(self.widgets)
        added = self.row_window.older()
        assert added is not None
        self._create(added)
        self._settle()
        gone = self.row_window.cut_bottom()  # the farthest ones, below the view
        if gone:
            self._drop(gone)
            self._settle()
        self._anchor.restore(self.widgets)
        self._paging = False
        return True

    def load_newer(self) -> bool:
        """Add a page of newer messages below the window; False at the end."""
        if self.model is None or self.at_end:
            return False
        self._paging = True
        self._settle()
        self._anchor.hold_top(self.widgets)
        added = self.row_window.newer(self.model.rowCount())
        assert added is not None
        self._create(added)
        gone = self.row_window.cut_top()  # the farthest ones, above the view
        if gone:
            self._anchor.release_if_in(self.widgets[: gone.stop])  # (a view under a page)
            self._drop(gone)
        self._settle()
        self._anchor.restore(self.widgets)
        self._paging = False
        return True

    def _page_if_near_edge(self) -> None:
        bar = self.verticalScrollBar()
        if self._paging or self.model is None:
            return
        if bar.value() <= NEAR_EDGE and self.first_row > 0 and not self._follow:
            self.load_older()
        elif bar.value() >= bar.maximum() - NEAR_EDGE and not self.at_end:
            self.load_newer()
        elif bar.maximum() == 0 and self.first_row > 0:
            self.load_older()  # the window does not even fill the view

    # -- following the stream ----------------------------------------------------------
    def scroll_to_bottom(self) -> None:
        """Show the end of the conversation (rebuilding the window there if needed)."""
        if not self.at_end:
            self._rebuild()
            return
        self._settle()
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def jump_to_latest(self) -> None:
        self._anchor.release()
        self.follow = True
        self.scroll_to_bottom()

    def _fold_toggled(self, expanded: bool) -> None:
        """The user unfolded a long message to read it: it stays put (the view does not
        follow the bottom as the message grows below, nor move when the column shrinks
        for a moment while the message is laid out anew)."""
        widget = self.sender()
        if expanded and isinstance(widget, MessageWidget):
            self.follow = False
            self._anchor.hold(widget)

    def _reveal_visible(self) -> None:
        for widget in self.widgets:
            if not widget.visibleRegion().isEmpty():
                widget.reveal()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        self._reveal_timer.start()
        if self._anchor.held:
            self._anchor.restore(self.widgets)  # widgets above grew (laid out late): stay put
        elif self._follow and not self._paging:
            # Paint what changed first: Qt scrolls by moving the pixels on screen only
            # when nothing under them waits to be painted, else it paints the whole view.
            QCoreApplication.sendPostedEvents(self.window(), QEvent.Type.UpdateRequest)
            self.verticalScrollBar().setValue(maximum)
        if maximum == 0 and self.first_row > 0:
            self._page_timer.start()

    def _value_changed(self, value: int) -> None:
        self._reveal_timer.start()
        if self._paging or self._anchor.restoring:
            return
        self._anchor.release()  # the user scrolled
        bottom = value >= self.verticalScrollBar().maximum() - FOLLOW_SLACK
        self.follow = bottom and self.at_end
        if value <= NEAR_EDGE or value >= self.verticalScrollBar().maximum() - NEAR_EDGE:
            self._page_timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # DESIGN.md: a reading column of at most 760 px, centred, 24 px side padding
        side = max(COLUMN_PAD, (self.viewport().width() - READING_WIDTH) // 2)
        if self._column.contentsMargins().left() != side:
            self._column.setContentsMargins(side, COLUMN_PAD // 2, side, COLUMN_PAD // 2)
        self.jump_button.place()
