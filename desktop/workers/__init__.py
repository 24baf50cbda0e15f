"""Background work: the SSE stream consumer, client calls off the GUI thread, backend start."""

from desktop.workers.api import ApiRunner
from desktop.workers.server import BackendLauncher, LaunchConfig
from desktop.workers.stream_worker import StreamWorker

__all__ = ["ApiRunner", "BackendLauncher", "LaunchConfig", "StreamWorker"]
