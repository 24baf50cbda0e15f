"""Helpers shared by the test suites (and only here): bounded waiting, loopback TCP proxies,
the one HTTP client class, the fake OpenAI-compatible server (`fake_openai`), each suite's
helpers (`backend_helpers`, `provider_helpers`, `app_support`, `robust_helpers`,
`web_helpers`, `llama_support`), chat-database invariant checks (`store_checks`), a hostile
server, file-open watching, Qt text anchors, and the desktop's window and Settings-dialog
drivers.

Imported as `tests.support.<module>`: the repository root is on `sys.path` whenever the
tests run (`python -m pytest` from the root, the editable install, or the suites'
conftests), just as it must be for `backend` and `desktop`. `tests/` is a package; a suite
folder without an `__init__.py` (`tests/openai`) never puts `tests/` itself on `sys.path`,
so it never shadows the `openai` package.
"""
