"""Helpers shared by several test suites: bounded waiting, a loopback TCP proxy, an HTTP client.

Imported as `tests.support.<module>`: the repository root is on `sys.path` whenever the
tests run (`python -m pytest` from the root, the editable install, or the suites'
conftests), just as it must be for `backend` and `desktop`. `tests/` itself stays without
an `__init__.py` on purpose (so `tests/openai` never shadows the `openai` package).
"""
