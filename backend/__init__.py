"""SSE Chat's server: a resumable SSE chat API over a durable SQLite store."""

__version__ = "0.1.0"
