"""SSE Chat's desktop window (PySide6). Talks to the backend only over HTTP."""

from backend import __version__

__all__ = ["__version__"]
