"""Fixtures for the OpenAI-compatible upstream responder and the /v1 router.

Everything runs over real HTTP on 127.0.0.1: the fake upstream (`upstream`, tests/conftest.py;
`tests.support.fake_openai`) and, for the router, a minimal FastAPI app.
"""
