"""The test suites. A package, so that a suite with an `__init__.py` of its own (`desktop`,
`protocol`) is imported as `tests.<suite>` and never shadows a real package; the suites
without one (`openai`, ...) keep their folder, not `tests/`, on `sys.path`."""
