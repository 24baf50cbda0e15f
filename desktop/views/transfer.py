"""`TransferFlows`: Export conversation..., Export all..., Import... (PROTOCOL.md section 10).

The file dialogs run on the GUI thread; the HTTP and the file I/O on the controller's
runner (a worker thread). An export is written as it arrives, to a file made 0600. An
import is streamed from the file in chunks; each chunk sent moves the progress bar
(`ImportProgress.sent`, queued to the GUI thread). When it is done a summary says what
came in and what was skipped, and why; a failed import says why.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QProgressDialog

from desktop.client_errors import ApiError
from desktop.controller import ChatController
from desktop.models.conversations import UNTITLED
from desktop.safe_text import plain

if TYPE_CHECKING:
    from desktop.client import ChatClient

log = logging.getLogger(__name__)

#: Bytes per chunk of an import sent (the upload's progress moves by this much).
CHUNK: Final = 256 * 1024

FORMATS = {"markdown": ("Markdown (*.md)", ".md"), "json": ("JSON (*.json)", ".json")}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def file_name_of(title: str) -> str:
    """A safe file name (without extension) from a conversation title."""
    name = _UNSAFE.sub("_", title).strip(" ._")[:100]
    return name or "conversation"


def write_private(path: Path) -> Any:
    """Open `path` for writing with mode 0600 (also when it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def export_to(client: ChatClient, url: str, path: Path) -> Path:
    with write_private(path) as out:
        client.download(url, out.write)
    return path


def summary_of(result: dict[str, Any]) -> str:
    convs = int(result.get("conversations") or 0)
    msgs = int(result.get("messages") or 0)
    text = (
        f"Imported {convs:,} conversation{'s' * (convs != 1)}, {msgs:,} message{'s' * (msgs != 1)}"
    )
    skipped = [s for s in result.get("skipped") or [] if isinstance(s, dict)]
    if skipped:
        shown = "; ".join(
            f"{s.get('title') or UNTITLED} ({s.get('reason') or 'unreadable'})"
            for s in skipped[:10]
        )
        more = f"; and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        text += f"; skipped {len(skipped):,}: {shown}{more}"
    return text + "."


class ImportProgress(QObject):
    """Bytes of the file sent so far (emitted from the worker thread)."""

    sent = Signal(int, int)

    def chunks(self, path: Path, size: int) -> Iterator[bytes]:
        done = 0
        with path.open("rb") as src:
            while chunk := src.read(CHUNK):
                done += len(chunk)
                yield chunk
                self.sent.emit(done, size)


class TransferFlows(QObject):
    #: An import or export finished: the summary or the error shown to the user.
    finished = Signal(str)

    def __init__(self, window: QMainWindow, controller: ChatController) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.progress: QProgressDialog | None = None
        self.last_message = ""
        #: Where the file dialogs open: the home folder, then the folder last chosen.
        self.folder = Path.home()
        self.export_action = QAction("&Export conversation…", window)
        self.export_action.triggered.connect(
            lambda: self.export_conversation(controller.current_id)
        )
        self.export_all_action = QAction("Export &all…", window)
        self.export_all_action.triggered.connect(self.export_all)
        self.import_action = QAction("&Import…", window)
        self.import_action.triggered.connect(self.import_file)
        menu = window.menuBar().addMenu("&History")
        menus = [a for a in window.menuBar().actions() if a.text() == "&Help"]
        if menus:  # before Help
            window.menuBar().insertMenu(menus[0], menu)
        for action in (self.export_action, self.export_all_action, self.import_action):
            menu.addAction(action)
            action.setEnabled(False)
        controller.ready_changed.connect(self._ready)

    def _ready(self, ready: bool) -> None:
        for action in (self.export_action, self.export_all_action, self.import_action):
            action.setEnabled(ready)

    # -- dialogs (tests replace these) -------------------------------------------------
    def choose_save_path(self, caption: str, name: str, filters: str) -> tuple[str, str]:
        return QFileDialog.getSaveFileName(self.window, caption, name, filters)

    def choose_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import conversations", str(self.folder), "JSON (*.json);;All files (*)"
        )
        return path

    def _chosen(self, path: str) -> str:
        if path:
            self.folder = Path(path).parent
        return path

    # -- export --------------------------------------------------------------------------
    def export_conversation(self, cid: str) -> None:
        conv = self.controller.conversations.get(cid)
        client = self.controller.client
        if conv is None or client is None:
            return
        filters = ";;".join(f for f, _ in FORMATS.values())
        path, chosen = self.choose_save_path(
            "Export conversation",
            str(self.folder / (file_name_of(conv.title or UNTITLED) + ".md")),
            filters,
        )
        if not self._chosen(path):
            return
        fmt = "json" if chosen.startswith("JSON") or path.endswith(".json") else "markdown"
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(FORMATS[fmt][1])
        url = f"/api/conversations/{cid}/export?format={fmt}"
        self.controller.runner.call(
            export_to, client, url, target, on_result=self._exported, on_error=self._failed
        )

    def export_all(self) -> None:
        client = self.controller.client
        if client is None:
            return
        path, _ = self.choose_save_path(
            "Export all conversations", str(self.folder / "sse-chat.json"), "JSON (*.json)"
        )
        if self._chosen(path):
            self.controller.runner.call(
                export_to,
                client,
                "/api/export",
                Path(path),
                on_result=self._exported,
                on_error=self._failed,
            )

    def _exported(self, path: Path) -> None:
        self._tell(f"Exported to {path}.")

    # -- import --------------------------------------------------------------------------
    def import_file(self, path: str = "") -> None:
        client = self.controller.client
        path = path or self._chosen(self.choose_open_path())
        if not path or client is None:
            return
        job = ImportProgress(self)
        dialog = QProgressDialog("Importing…", "", 0, 1000, self.window)
        dialog.setObjectName("importProgress")
        dialog.setWindowTitle("Import")
        dialog.setCancelButton(None)  # type: ignore[arg-type]
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setValue(0)
        self.progress = dialog
        job.sent.connect(self._sent)
        source = Path(path)
        self.controller.runner.call(
            self._upload, client, job, source, on_result=self._imported, on_error=self._failed
        )

    @staticmethod
    def _upload(client: ChatClient, job: ImportProgress, path: Path) -> dict[str, Any]:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ApiError(0, f"cannot read {path.name}: {exc.strerror}") from None
        return client.upload_import(job.chunks(path, size))

    def _sent(self, done: int, size: int) -> None:
        dialog = self.progress
        if dialog is not None and size:
            # (a window-modal QProgressDialog handles events in setValue: it goes last)
            dialog.setLabelText(f"Sending… {done // 1024:,} of {size // 1024:,} KiB")
            dialog.setValue(min(999, done * 1000 // size))

    def _imported(self, result: dict[str, Any]) -> None:
        self._close_progress()
        self._tell(summary_of(result))

    # -- endings ---------------------------------------------------------------------------
    def _failed(self, exc: ApiError) -> None:
        self._close_progress()
        self._tell(f"That did not work: {exc.message}", error=True)

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _tell(self, text: str, error: bool = False) -> None:
        self.last_message = text
        icon = QMessageBox.Icon.Warning if error else QMessageBox.Icon.Information
        box = plain(QMessageBox(icon, "History", text, QMessageBox.StandardButton.Ok, self.window))
        box.setObjectName("transferSummary")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.finished.emit(text)
