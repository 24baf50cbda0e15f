"""Everything OpenAI-shaped, in one package.

- `upstream`: `OpenAICompatResponder`, the responder that streams replies from any
  OpenAI-compatible server (httpx + httpx-sse), plus `list_models` and `check_connection`;
- `errors`: `UpstreamError` (a `ResponderError`) and the mapping of HTTP answers, httpx
  exceptions and malformed chunks to a plain-words `detail`;
- `wire`: OpenAI's chat-completions wire format as this app serves it on `/v1` (request
  bodies, `chat.completion(.chunk)` objects, SSE framing, the error shape), no I/O;
- `completions`: what `POST /v1/chat/completions` does with a request and a responder
  (streamed or not, limits, failures in OpenAI's shape); the routes themselves are the
  thin `backend.routers.openai_api`.

Inside this package `import openai` would still mean the PyPI package; nothing here uses it.
"""
