"""The discreet line under an assistant reply ("echo", "llama3.2 · OpenAI-compatible",
then its figures: "· 42 tok/s · 0.8 s to first token · 1,234 tokens"), and the failure
text that names what went wrong (the `error` event's detail).

Kept apart from `message_widget.py` so the widget only places the label. The line uses the
palette's placeholder colour (muted in both themes) and a smaller font; the stylesheet may
refine it through `QLabel#messageMeta`.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

from desktop.records import Message, Stats
from desktop.safe_text import plain, tooltip
from desktop.views.widget_utils import scale_font

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


def tokens_per_second(stats: Stats) -> float | None:
    """completion_tokens / (duration - first token), when all three are known."""
    if stats.completion_tokens is None or stats.duration_ms is None:
        return None
    generating = stats.duration_ms - (stats.first_token_ms or 0)
    return stats.completion_tokens * 1000 / generating if generating > 0 else None


def figures(stats: Stats | None) -> list[str]:
    """The short figures of the line: tok/s, time to first token, tokens (what is known)."""
    if stats is None:
        return []
    out: list[str] = []
    rate = tokens_per_second(stats)
    if rate is not None:
        out.append(f"{rate:,.1f} tok/s" if rate < 10 else f"{rate:,.0f} tok/s")
    if stats.first_token_ms is not None:
        out.append(f"{stats.first_token_ms / 1000:.1f} s to first token")
    if rate is not None and stats.completion_tokens is not None:
        out.append(f"{stats.completion_tokens:,} tokens")
    return out


def full_figures(stats: Stats | None) -> list[str]:
    """Every figure, for the tooltip."""
    if stats is None:
        return []
    out: list[str] = []
    if stats.first_token_ms is not None:
        out.append(f"First token after {stats.first_token_ms:,} ms")
    if stats.duration_ms is not None:
        out.append(f"Written in {stats.duration_ms:,} ms")
    if stats.prompt_tokens is not None:
        out.append(f"Prompt: {stats.prompt_tokens:,} tokens")
    if stats.completion_tokens is not None:
        out.append(f"Reply: {stats.completion_tokens:,} tokens")
    rate = tokens_per_second(stats)
    if rate is not None:
        out.append(f"{rate:,.1f} tokens per second")
    return out


def make_meta_label(parent: QWidget) -> QLabel:
    label = plain(QLabel(parent))  # a model's name is untrusted text
    label.setObjectName("messageMeta")
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    scale_font(label, parent, META_SCALE)  # and again after a zoom: `MessageWidget`
    label.hide()
    return label


def show_meta(label: QLabel, message: Message) -> None:
    """Show which provider and model produced `message` (nothing for user messages)."""
    if message.is_user:
        label.clear()
        label.setToolTip("")
        label.hide()
        return
    source = provenance(message.provider, message.model)
    final = None if message.is_streaming else message.stats
    text = " · ".join([source, *figures(final)] if source else figures(final))
    label.setText(text)  # plain text (`plain()`): a model's name is untrusted
    lines = ([f"Written by {source}"] if source else []) + full_figures(final)
    label.setToolTip(tooltip("\n".join(lines)))
    label.setVisible(bool(text))


def failure_text(message: Message) -> str:
    """Say "The reply failed: <why>" when the reply's `error` event said why, else ""."""
    if message.status != "failed" or not message.error:
        return ""
    return f"The reply failed: {message.error}"
