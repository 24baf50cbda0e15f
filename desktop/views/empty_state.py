"""`EmptyState`: what an empty conversation shows: a centred greeting, the model that will
answer (muted) and 2 x 2 suggestion cards that fill the composer when clicked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from desktop.safe_text import plain, tooltip
from desktop.theme import COMPOSER_MAX_WIDTH

GREETING = "How can I help you today?"
CENTRE_STRETCH = 100  # against 1 for each side: below its maximum width it fills the page
SUGGESTIONS = (
    ("Explain a concept", "Explain how public-key cryptography works, simply."),
    ("Write some code", "Write a Python function that merges two sorted lists."),
    ("Summarise a text", "Summarise the following text in three bullet points:\n\n"),
    ("Plan something", "Plan a three-day trip to Lisbon on a small budget."),
)


class SuggestionCard(QPushButton):
    """A card: its title over its prompt, the prompt cut with "…" to the card's width
    rather than clipped mid-letter in a narrow window."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(f"{title}\n{prompt}", parent)
        self.title, self.prompt = title, prompt

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        room = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self)
        metrics = self.fontMetrics()
        line = metrics.elidedText(self.prompt, Qt.TextElideMode.ElideRight, room.width())
        self.setText(
            f"{metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, room.width())}\n{line}"
        )


class EmptyState(QWidget):
    #: A suggestion card was chosen: its prompt.
    suggestion_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.greeting = plain(QLabel(GREETING, self))
        self.greeting.setWordWrap(True)
        self.greeting.setObjectName("emptyGreeting")
        self.greeting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.model_label = plain(QLabel(self))
        self.model_label.setObjectName("emptyModel")
        self.model_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cards: list[SuggestionCard] = []
        grid = QGridLayout()
        for i, (title, prompt) in enumerate(SUGGESTIONS):
            card = SuggestionCard(title, prompt.strip(), self)
            card.setObjectName("suggestionCard")
            card.setAccessibleName(f"Suggestion: {title}")
            card.setAccessibleDescription(prompt.strip())
            card.setCursor(Qt.CursorShape.PointingHandCursor)
            # a narrow window cuts a card's text rather than growing the window
            card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            card.setToolTip(tooltip(prompt.strip()))
            card.clicked.connect(lambda _=False, p=prompt: self.suggestion_chosen.emit(p))
            grid.addWidget(card, i // 2, i % 2)
            self.cards.append(card)
        inner = QWidget(self)  # the reading column's width, centred on the page
        inner.setMaximumWidth(COMPOSER_MAX_WIDTH)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(inner, CENTRE_STRETCH)
        outer.addStretch(1)
        layout = QVBoxLayout(inner)
        layout.addStretch(1)
        layout.addWidget(self.greeting)
        layout.addWidget(self.model_label)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.set_model("")

    def set_model(self, name: str) -> None:
        self.model_label.setText(f"{name} will answer" if name else "")
