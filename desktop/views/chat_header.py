"""`ChatHeader`: the 48-px row above the conversation.

The title (click, or Enter on it, to rename in place; plain text), the model picker (the
provider's models from `GET /api/provider/models`, fetched off the GUI thread once and
cached until the provider settings change; "Default" = null follows Settings), the
per-conversation system prompt (a small popover) and the connection dot (its tooltip
says what it means). Choosing a model or saving a prompt PATCHes the conversation
(PROTOCOL section 11) and takes the answer into the conversation list.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyleOption,
    QStyleOptionButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.client_errors import ApiError
from desktop.records import Conversation
from desktop.safe_text import plain, tooltip
from desktop.theme import HEADER_HEIGHT, POPOVER_MIN_WIDTH, POPOVER_RADIUS
from desktop.views.widget_utils import restyle

if TYPE_CHECKING:
    from desktop.controller import ChatController

log = logging.getLogger(__name__)

Connection = Literal["starting", "online", "offline"]
DEFAULT_LABEL = "Default"
NO_TITLE = "New conversation"
PICKER_CHARS = 24  # the model picker's width, in characters (longer names are cut)
TITLE_MIN_CHARS = 8  # the title keeps at least this many characters' room


def button_text(text: str) -> str:
    """`text` as a button shows it literally (`&` would make a mnemonic)."""
    return text.replace("&", "&&")


class TitleButton(QPushButton):
    """The title, cut with "…" to the room it has (the model picker keeps its place);
    `title` is the whole of it (the tooltip says it too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""

    def set_title(self, title: str) -> None:
        self.title = title
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        # the room for text: the button less its padding (the stylesheet's)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        room = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self)
        shown = self.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideRight, room.width())
        self.setText(button_text(shown))
        self.setToolTip(tooltip(f"{self.title} (click to rename)" if self.title else "Rename"))


class TitleEdit(QLineEdit):
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.setText("")
            self.editingFinished.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class PromptPopover(QFrame):
    """The conversation's own system prompt: Save, or Use default (null)."""

    def __init__(self, header: ChatHeader) -> None:
        super().__init__(header, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("promptPopover")
        # rounded corners (chat.qss): what lies outside them is not drawn (a compositor
        # shows the desktop there; without one the mask cuts the corners away)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.header = header
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("promptEditor")
        self.editor.setAccessibleName("System prompt for this conversation")
        self.editor.setPlaceholderText("Empty: the system prompt from Settings is used")
        self.editor.setTabChangesFocus(True)
        self.save_button = QPushButton("Save", self)
        self.save_button.setAccessibleName("Save the system prompt")
        self.default_button = QPushButton("Use default", self)
        self.default_button.setAccessibleName("Use the default system prompt")
        self.save_button.clicked.connect(self._save)
        self.default_button.clicked.connect(self._default)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.default_button)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        title = plain(QLabel("System prompt for this conversation", self))
        title.setObjectName("popoverTitle")
        layout.addWidget(title)
        layout.addWidget(self.editor, 1)
        layout.addLayout(row)

    def paintEvent(self, event: QPaintEvent) -> None:
        # a translucent window has no background of its own: the stylesheet's rounded
        # card (background, border, radius) is drawn here
        option = QStyleOption()
        option.initFrom(self)
        painter = QPainter(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        path = QPainterPath()
        path.addRoundedRect(QRectF(self.rect()), POPOVER_RADIUS, POPOVER_RADIUS)
        self.setMask(QRegion(path.toFillPolygon().toPolygon()))

    def _save(self) -> None:
        text = self.editor.toPlainText().strip()
        self.header.set_conversation_field("system_prompt", text or None)
        self.hide()

    def _default(self) -> None:
        self.header.set_conversation_field("system_prompt", None)
        self.hide()


class ChatHeader(QFrame):
    def __init__(self, controller: ChatController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatHeader")
        self.setFixedHeight(HEADER_HEIGHT)
        self.controller = controller
        self.models: list[str] | None = None  # the cache; None: not fetched (yet)
        self.default_model = ""
        self._fetching = False
        self._filling = False

        self.title_stack = QStackedWidget(self)
        # the title gives way first when the window is narrow
        self.title_stack.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title_stack.setMinimumWidth(TITLE_MIN_CHARS * self.fontMetrics().averageCharWidth())
        self.title_button = TitleButton(self)
        self.title_button.setObjectName("headerTitle")
        self.title_button.setFlat(True)
        self.title_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.title_button.clicked.connect(self.begin_rename)
        self.title_edit = TitleEdit(self)
        self.title_edit.setObjectName("headerTitleEdit")
        self.title_edit.setAccessibleName("Conversation title")
        self.title_edit.editingFinished.connect(self._rename_done)
        self.title_stack.addWidget(self.title_button)
        self.title_stack.addWidget(self.title_edit)

        self.model_picker = QComboBox(self)
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setAccessibleName("Model for this conversation")
        self.model_picker.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_picker.setMinimumContentsLength(PICKER_CHARS)
        self.model_picker.activated.connect(self._model_chosen)

        self.prompt_button = QToolButton(self)
        self.prompt_button.setObjectName("promptButton")
        self.prompt_button.setText("Prompt")
        self.prompt_button.setAccessibleName("System prompt for this conversation")
        self.prompt_button.clicked.connect(self.open_prompt)
        self.popover = PromptPopover(self)

        self.dot = QLabel(self)
        self.dot.setObjectName("connectionDot")
        self.dot.setAccessibleName("Connection")

        row = QHBoxLayout(self)
        row.addWidget(self.title_stack, 1)
        row.addWidget(self.model_picker)
        row.addWidget(self.prompt_button)
        row.addWidget(self.dot)
        self.set_connection("starting")

        conversations = controller.conversations
        for signal in (conversations.dataChanged, conversations.modelReset):
            signal.connect(self.refresh)
        conversations.rowsInserted.connect(self.refresh)
        controller.current_changed.connect(self._current_changed)
        self.refresh()

    # -- state ---------------------------------------------------------------------------
    @property
    def conversation(self) -> Conversation | None:
        cid = self.controller.current_id
        return self.controller.conversations.get(cid) if cid else None

    def set_connection(self, state: Connection, reason: str = "") -> None:
        words = {
            "starting": ("Starting", "Starting the chat backend"),
            "online": ("Online", "Connected to the chat backend"),
            "offline": ("Offline", f"Not connected: {reason}" if reason else "Not connected"),
        }
        short, long = words[state]
        restyle(self.dot, state=state)
        self.dot.setToolTip(tooltip(long))
        self.dot.setAccessibleDescription(long)
        self.dot.setAccessibleName(f"Connection: {short}")

    def set_default_model(self, name: str) -> None:
        """The model Settings names (what "Default" means); shown in the picker."""
        self.default_model = name
        self._fill_models()

    def _current_changed(self, _cid: str) -> None:
        self.popover.hide()
        self.title_stack.setCurrentWidget(self.title_button)
        self.refresh()

    def refresh(self, *_args: Any) -> None:
        conv = self.conversation
        title = (conv.title if conv is not None else "") or NO_TITLE
        self.title_button.set_title(title)
        self.title_button.setAccessibleName(f"Conversation title: {title}. Click to rename")
        has = conv is not None
        self.title_button.setEnabled(has)
        self.model_picker.setEnabled(has and self.controller.ready)
        self.prompt_button.setEnabled(has and self.controller.ready)
        own = bool(conv is not None and conv.system_prompt)
        restyle(self.prompt_button, active=own)
        self.prompt_button.setToolTip(
            "This conversation has its own system prompt"
            if own
            else "The system prompt from Settings is used"
        )
        self._fill_models()

    # -- models --------------------------------------------------------------------------
    def fetch_models(self, force: bool = False) -> None:
        """The provider's models, once (again when `force`, e.g. the provider changed)."""
        client = self.controller.client
        if client is None or self._fetching or (self.models is not None and not force):
            return
        self._fetching = True
        self.controller.runner.call(
            client.provider_models, on_result=self._models_fetched, on_error=self._models_failed
        )

    def _models_fetched(self, models: list[str]) -> None:
        self._fetching = False
        self.models = models
        self.refresh()

    def _models_failed(self, exc: ApiError) -> None:
        self._fetching = False
        self.models = []
        log.info("model list unavailable: %s", exc.message)
        self.refresh()

    def _fill_models(self) -> None:
        conv = self.conversation
        chosen = conv.model if conv is not None else None
        names = list(self.models or [])
        if chosen and chosen not in names:
            names.append(chosen)
        default = f"{DEFAULT_LABEL} ({self.default_model})" if self.default_model else DEFAULT_LABEL
        self._filling = True
        self.model_picker.clear()
        self.model_picker.addItem(default, None)
        for name in names:
            self.model_picker.addItem(name, name)
        index = self.model_picker.findData(chosen) if chosen else 0
        self.model_picker.setCurrentIndex(max(index, 0))
        self._filling = False
        self.model_picker.setToolTip(tooltip(self.model_picker.currentText()))

    def _model_chosen(self, index: int) -> None:
        if self._filling:
            return
        value = self.model_picker.itemData(index)
        conv = self.conversation
        if conv is None or value == conv.model:
            return
        self.set_conversation_field("model", value if isinstance(value, str) else None)

    # -- editing -------------------------------------------------------------------------
    def set_conversation_field(self, name: str, value: str | None) -> None:
        client = self.controller.client
        conv = self.conversation
        if client is None or conv is None:
            return
        self.controller.runner.call(
            client.update_conversation,
            conv.id,
            {name: value},
            on_result=self.controller.conversations.upsert,
            on_error=lambda exc: self.controller.error.emit(exc.message),
        )

    def begin_rename(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        self.title_edit.setText(conv.title)
        self.title_stack.setCurrentWidget(self.title_edit)
        self.title_edit.selectAll()
        self.title_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _rename_done(self) -> None:
        if self.title_stack.currentWidget() is not self.title_edit:
            return
        text = self.title_edit.text().strip()
        self.title_stack.setCurrentWidget(self.title_button)
        conv = self.conversation
        if conv is not None and text and text != conv.title:
            self.controller.rename(conv.id, text)

    def open_prompt(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        self.popover.editor.setPlainText(conv.system_prompt or "")
        width = max(self.width() // 2, POPOVER_MIN_WIDTH)
        self.popover.resize(width, self.popover.sizeHint().height())
        corner = self.prompt_button.mapToGlobal(self.prompt_button.rect().bottomRight())
        self.popover.move(corner.x() - width, corner.y())
        self.popover.show()
        self.popover.editor.setFocus(Qt.FocusReason.PopupFocusReason)
