"""Help menu: the About box (version, licence, data folder) and Open data folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from backend.config import Settings
from desktop import __version__
from desktop.app import build_window
from desktop.prefs.ui import UiSettings
from desktop.resources import ICON_SIZES, app_icon, icon_paths, resource_path
from desktop.views.main_window import MainWindow
from desktop.workers import LaunchConfig


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def make_window(qtbot: QtBot, data: Path, ui_settings: UiSettings) -> MainWindow:
    window = build_window(LaunchConfig(settings=Settings(data_dir=data)), ui_settings)
    qtbot.addWidget(window)
    return window


def test_about_box_shows_version_licence_and_data_folder(
    qtbot: QtBot, tmp_path: Path, ui_settings: UiSettings
) -> None:
    data = tmp_path / "my data"
    window = make_window(qtbot, data, ui_settings)
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles[-1] == "&Help"
    window.help_menu.about_action.trigger()
    dialog = window.help_menu.dialog
    assert dialog is not None and dialog.isVisible()
    text = dialog.text.text()
    assert f"SSE Chat {__version__}" in text
    assert "Licence: MIT" in text
    assert str(data) in text and str(data / "logs" / "sse-chat.log") in text
    dialog.close()
    window.shutdown()


def test_open_data_folder_opens_it(qtbot: QtBot, tmp_path: Path, ui_settings: UiSettings) -> None:
    data = tmp_path / "data"
    window = make_window(qtbot, data, ui_settings)
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")  # type: ignore[arg-type]
    try:
        window.help_menu.open_data_action.trigger()
        window.help_menu.show_about().open_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [url.toLocalFile() for url in catcher.urls] == [str(data), str(data)]
    assert data.is_dir()
    window.shutdown()


def test_window_title_and_icon_in_every_size(
    qtbot: QtBot, tmp_path: Path, ui_settings: UiSettings
) -> None:
    window = make_window(qtbot, tmp_path / "d", ui_settings)
    assert window.windowTitle() == "SSE Chat"
    assert len(icon_paths()) == len(ICON_SIZES)
    sizes = {(s.width(), s.height()) for s in window.windowIcon().availableSizes()}
    assert sizes == {(n, n) for n in ICON_SIZES}
    assert not app_icon().isNull()
    entry = resource_path("sse-chat.desktop").read_text(encoding="utf-8")
    assert "Exec=sse-chat" in entry and "Icon=sse-chat" in entry
    window.shutdown()
