"""`POST /api/import` also takes the file as a form upload (`multipart/form-data`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from backend.errors import Unprocessable
from backend.upload_body import boundary_of, file_part
from tests.support.backend_helpers import Api

_MESSAGE = {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi --x"]}}
FILE = json.dumps(
    [{"title": "Uploaded", "conversation_id": "up-1", "current_node": "u",
      "mapping": {"u": {"parent": None, "message": _MESSAGE}}}]
).encode()  # fmt: skip
FORM = (
    b'--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nnot the file\r\n'
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="c.json"\r\n'
    b"Content-Type: application/json\r\n\r\n" + FILE + b"\r\n--x--\r\n"
)


def _collect(body: bytes, size: int, boundary: bytes = b"x") -> bytes:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), size):
            yield body[start : start + size]

    async def run() -> bytes:
        return b"".join([piece async for piece in file_part(chunks(), boundary)])

    return asyncio.run(run())


@pytest.mark.parametrize("size", [1, 2, 5, 64, 1 << 20])
def test_the_file_part_whatever_the_chunks(size: int) -> None:
    assert _collect(FORM, size) == FILE


@pytest.mark.parametrize(
    "body",
    [b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--x--\r\n", b"--x\r\nbroken",
     b"garbage without a boundary"],
)  # fmt: skip
def test_no_file_is_unprocessable(body: bytes) -> None:
    with pytest.raises(Unprocessable):
        _collect(body, 3)


def test_boundary_of() -> None:
    assert boundary_of("multipart/form-data; boundary=abc") == b"abc"
    assert boundary_of('multipart/form-data; boundary="a b"; x=1') == b"a b"
    assert boundary_of("application/json") is None
    with pytest.raises(Unprocessable):
        boundary_of("multipart/form-data")


def test_an_upload_imports_like_a_body(api: Api) -> None:
    r = api.post("/api/import", files={"file": ("conversations.json", FILE, "application/json")})
    assert r.status_code == 200, r.text
    assert r.json() == {"conversations": 1, "messages": 1, "skipped": []}
    titles = [c["title"] for c in api.get("/api/conversations").json()]
    assert titles == ["Uploaded"]
    bad = api.post("/api/import", files={"file": ("x.json", b"not json", "application/json")})
    assert bad.status_code == 422
