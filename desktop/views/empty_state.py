"""`EmptyState`: what an empty conversation shows: a centred greeting, the model that will
answer (muted) and 2 x 2 suggestion cards that fill the composer when clicked."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.safe_text import plain, tooltip
from desktop.theme import COMPOSER_MAX_WIDTH

GREETING = "How can I help you today?"
#: A card's padding (left, top, right, bottom): the stylesheet's card has no padding of its
#: own, its two lines are laid out inside it.
CARD_PADDING = (16, 12, 16, 12)
CENTRE_STRETCH = 100  # against 1 for each side: below its maximum width it fills the page
SUGGESTIONS = (
    ("Explain a concept", "Explain how public-key cryptography works, simply."),
    ("Write some code", "Write a Python function that merges two sorted lists."),
    ("Summarise a text", "Summarise the following text in three bullet points:\n\n"),
    ("Plan something", "Plan a three-day trip to Lisbon on a small budget."),
)


class SuggestionCard(QPushButton):
    """A card: its title (semi-bold) over its prompt (muted), each cut with "…" to the
    card's width rather than clipped mid-letter in a narrow window. The two lines are
    labels inside the button (a button's own text has one colour and one weight)."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.prompt = title, prompt
        self.title_label = self._line("suggestionTitle")
        self.prompt_label = self._line("suggestionPrompt")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(*CARD_PADDING)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.prompt_label)
        self._elide()

    def _line(self, name: str) -> QLabel:
        label = plain(QLabel(self))
        label.setObjectName(name)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        return label

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        layout = self.layout()
        return layout.sizeHint() if layout is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(0, self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        left, _top, right, _bottom = CARD_PADDING
        room = max(self.width() - left - right, 0)
        for label, text in ((self.title_label, self.title), (self.prompt_label, self.prompt)):
            metrics = label.fontMetrics()
            label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, room))


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
