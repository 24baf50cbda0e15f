"""The discreet line under an assistant reply ("echo", "llama3.2 · OpenAI-compatible"), and
the failure text that names what went wrong (the `error` event's detail).

Kept apart from `message_widget.py` so the widget only places the label. The line uses the
palette's placeholder colour (muted in both themes) and a smaller font; the stylesheet may
refine it through `QLabel#messageMeta`.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

from desktop.records import Message
from desktop.safe_text import plain, tooltip

META_SCALE = 0.85
#: How a reply's producer is named in Message JSON (`provider`), as the line shows it.
PROVIDER_LABELS: Final = {"echo": "echo", "openai-compatible": "OpenAI-compatible"}


def provenance(provider: str | None, model: str | None) -> str:
    """The discreet line under a reply: "echo", or "model · provider"."""
    if not provider and not model:
        return ""
    label = PROVIDER_LABELS.get(provider or "", provider or "")
    if not model or model == provider or (provider == "echo" and model == "echo"):
        return label or (model or "")
    return f"{model} · {label}" if label else model


def make_meta_label(parent: QWidget) -> QLabel:
    label = plain(QLabel(parent))  # a model's name is untrusted text
    label.setObjectName("messageMeta")
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    font = label.font()
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * META_SCALE)
    label.setFont(font)
    label.hide()
    return label


def show_meta(label: QLabel, message: Message) -> None:
    """Show which provider and model produced `message` (nothing for user messages)."""
    text = "" if message.is_user else provenance(message.provider, message.model)
    label.setText(text)
    label.setToolTip(tooltip(f"Written by {text}") if text else "")
    label.setVisible(bool(text))


def failure_text(message: Message) -> str:
    """Say "The reply failed: <why>" when the reply's `error` event said why, else ""."""
    if message.status != "failed" or not message.error:
        return ""
    return f"The reply failed: {message.error}"
