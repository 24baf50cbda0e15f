"""The Help menu: About SSE Chat (version, licence, data folder) and Open data folder."""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.logfile import log_path
from desktop.resources import app_icon

if TYPE_CHECKING:
    from desktop.workers import LaunchConfig

log = logging.getLogger(__name__)

LICENSE = "MIT"
HOMEPAGE_TEXT = "A desktop chat app that streams replies over Server-Sent Events."


def data_folder_of(launch: LaunchConfig | None) -> Path:
    """Where this window keeps its data: the embedded backend's folder, else the default
    per-user folder (which still holds the log file when using `--connect`)."""
    if launch is not None and launch.settings is not None:
        return launch.settings.data_dir
    from backend.config import default_data_dir

    return default_data_dir()


def open_data_folder(folder: Path) -> bool:
    """Show `folder` in the file manager (created first if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("cannot create the data folder %s: %s", folder, exc.strerror or exc)
    opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    if not opened:
        log.warning("no application opened %s", folder)
    return bool(opened)


class AboutDialog(QDialog):
    """Version, licence and data folder, with a button to open the folder."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About SSE Chat")
        self.data_dir = data_dir
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel(self)
        self.text.setObjectName("aboutText")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        self.text.setText(
            f"<h3>SSE Chat {escape(__version__)}</h3>"
            f"<p>{escape(HOMEPAGE_TEXT)}</p>"
            f"<p>Licence: {LICENSE}</p>"
            f"<p>Data folder:<br><code>{escape(str(data_dir))}</code></p>"
            f"<p>Log file:<br><code>{escape(str(log_path(data_dir)))}</code></p>"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_button = buttons.addButton(
            "Open data folder", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.clicked.connect(lambda: open_data_folder(self.data_dir))
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(icon)
        row.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)


class HelpMenu(QObject):
    """Adds Help → Open data folder / About SSE Chat to `window`'s menu bar."""

    def __init__(self, window: QMainWindow, data_dir: Path) -> None:
        super().__init__(window)
        self.window = window
        self.data_dir = data_dir
        self.open_data_action = QAction("Open &data folder", window)
        self.open_data_action.triggered.connect(lambda: open_data_folder(self.data_dir))
        self.about_action = QAction("&About SSE Chat", window)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.menu = window.menuBar().addMenu("&Help")
        self.menu.addAction(self.open_data_action)
        self.menu.addSeparator()
        self.menu.addAction(self.about_action)
        self.dialog: AboutDialog | None = None

    def show_about(self) -> AboutDialog:
        """Open (or raise) the About box, non-modal; returns it."""
        if self.dialog is None:
            self.dialog = AboutDialog(self.data_dir, self.window)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog
