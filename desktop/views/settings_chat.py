"""`ChatTab`: Settings → Chat: naming conversations with the model (the backend's provider
setting `auto_title`, saved with the Model tab's settings) and the send key (the UI setting
`send_with_ctrl_enter`: Enter sends, or Ctrl+Enter does and Enter makes a new line)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.views.form_utils import help_line, tidy_form

TITLE_HELP = (
    "After the first reply, the model is asked for a short title. Off, or with Echo, a "
    "conversation is named after its first words."
)
SEND_HELP = "Shift+Enter always makes a new line."


class ChatTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatTab")
        self.auto_title = QCheckBox("&Name conversations with the model", self)
        self.enter_sends = QRadioButton("&Enter sends", self)
        self.enter_sends.setAccessibleName("Enter sends (Shift+Enter makes a new line)")
        self.ctrl_enter = QRadioButton("Ctrl+Enter &sends, Enter makes a new line", self)
        self.ctrl_enter.setAccessibleName("Send with Ctrl+Enter")
        self.send_keys = QButtonGroup(self)  # exclusive: one of the two
        self.send_keys.addButton(self.enter_sends)
        self.send_keys.addButton(self.ctrl_enter)
        self.enter_sends.setChecked(True)

        form = QFormLayout()
        form.addRow("Titles:", self.auto_title)
        help_line(form, self.auto_title, TITLE_HELP)
        form.addRow("Sending:", self.enter_sends)
        form.addRow("", self.ctrl_enter)
        help_line(form, self.ctrl_enter, SEND_HELP)
        self.enter_sends.setAccessibleDescription(SEND_HELP)
        tidy_form(form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)

    def load(self, auto_title: bool, ctrl_enter_sends: bool) -> None:
        self.auto_title.setChecked(auto_title)
        (self.ctrl_enter if ctrl_enter_sends else self.enter_sends).setChecked(True)
