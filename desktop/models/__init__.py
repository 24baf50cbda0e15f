"""Qt item models for conversations and messages; drivable without any widget."""

from desktop.models.conversations import ConversationListModel
from desktop.models.messages import MessageListModel

__all__ = ["ConversationListModel", "MessageListModel"]
