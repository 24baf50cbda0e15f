"""Links in a reply: what a click opens, and what a hover shows.

A reply is untrusted text, so a link is opened only by the system (`QDesktopServices`)
and only for `http`, `https` and `mailto`. A `mailto:` link loses its `body` and
`attach`/`attachment` parameters (in any case, however encoded): a mail client would
otherwise prefill a message, or attach a local file (`?attach=/home/user/.ssh/id_rsa`),
with one click. Hovering a link puts its real target in the window's status bar (a status
tip travels up to the `QMainWindow`), since the text of a link can say anything.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from PySide6.QtCore import QCoreApplication, QUrl, QUrlQuery
from PySide6.QtGui import QDesktopServices, QStatusTipEvent
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: `mailto:` parameters that are dropped (RFC 6068 `body`; clients' `attach`, `attachment`).
MAILTO_DROPPED = frozenset({"body", "attach", "attachment"})
_SEPARATORS = re.compile(r"[&;]")


def _kept(item: str) -> bool:
    key = unquote(item.partition("=")[0]).strip().lower()
    return key not in MAILTO_DROPPED


def link_target(url: QUrl) -> QUrl | None:
    """What a click on `url` opens: None for a link that is never opened; a `mailto:` link
    without its `body` and attachment parameters."""
    scheme = url.scheme().lower()
    if scheme not in SAFE_SCHEMES or not url.isValid():
        return None
    if scheme != "mailto":
        return url
    target = QUrl(url)
    path = target.path()
    if "?" in path:  # an encoded "?" some clients would decode into parameters
        target.setPath(path.partition("?")[0])
    if target.hasQuery():
        query = target.query(QUrl.ComponentFormattingOption.FullyEncoded)
        items = [item for item in _SEPARATORS.split(query) if item and _kept(item)]
        if items:
            target.setQuery("&".join(items), QUrl.ParsingMode.StrictMode)
        else:
            target.setQuery(QUrlQuery())  # no query at all
    return target


def open_link(url: QUrl) -> bool:
    """Open `url` with the system if it is safe (see `link_target`); True when opened."""
    target = link_target(url)
    if target is None:
        log.info("ignored a link with scheme %r", url.scheme().lower())
        return False
    return bool(QDesktopServices.openUrl(target))


def describe_target(url: QUrl) -> str:
    """The status line for a hovered link: where a click goes, or that it goes nowhere."""
    if url.isEmpty():
        return ""
    target = link_target(url)
    if target is None:
        return f"Not opened (only web and mail links are): {url.toDisplayString()}"
    return target.toDisplayString()


def show_link_target(widget: QWidget, url: QUrl) -> None:
    """Show (or, for an empty `url`, clear) a hovered link's target in the status bar."""
    QCoreApplication.sendEvent(widget, QStatusTipEvent(describe_target(url)))
