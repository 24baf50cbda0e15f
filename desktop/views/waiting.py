"""`WaitingDots`: three pulsing dots between Enter and a reply's first token.

Once reasoning arrives the reply's `ThinkingBlock` says "Thinking… N s" instead; once text
arrives the dots go. The label keeps its height while hidden (no layout jump).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

FRAMES = ("●○○", "○●○", "○○●")
STEP_MS = 400


class WaitingDots(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(FRAMES[0], parent)
        self.setObjectName("waitingDots")
        self.setAccessibleName("Waiting for the reply")
        self._frame = 0
        self._timer = QTimer(self)
        self._timer.setInterval(STEP_MS)
        self._timer.timeout.connect(self._step)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.hide()

    @property
    def waiting(self) -> bool:
        return self._timer.isActive()

    def set_waiting(self, waiting: bool) -> None:
        if waiting == self.waiting:
            return
        if waiting:
            self._timer.start()
        else:
            self._timer.stop()
        self.setVisible(waiting)

    def _step(self) -> None:
        self._frame = (self._frame + 1) % len(FRAMES)
        self.setText(FRAMES[self._frame])
