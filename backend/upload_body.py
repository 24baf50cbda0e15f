"""The file of a `multipart/form-data` upload, as a stream (for `POST /api/import`).

The import takes the JSON file as the body itself; a client that uploads it as a form
(`<input type=file>`, `requests.post(files=...)`) is served too: this yields the content of
the first part that carries a file name as it arrives, holding no more than a chunk and a
boundary's length.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from backend.errors import Unprocessable

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
MAX_PART_HEAD = 16 * 1024


def boundary_of(content_type: str) -> bytes | None:
    """The boundary of a `multipart/form-data` content type, else None."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise Unprocessable("The multipart upload has no boundary")
    return (found.group(1) or found.group(2)).encode("latin-1", "replace")


async def file_part(chunks: AsyncIterator[bytes], boundary: bytes) -> AsyncIterator[bytes]:
    """The content of the upload's first part with a file name; `Unprocessable` if none."""
    delimiter = b"--" + boundary
    closing = b"\r\n" + delimiter
    buffer = b""
    in_part = is_file = False
    async for chunk in chunks:
        buffer += chunk
        while True:
            if not in_part:
                start = buffer.find(delimiter)
                head_end = buffer.find(b"\r\n\r\n", start) if start >= 0 else -1
                if head_end < 0:
                    if len(buffer) > MAX_PART_HEAD:
                        raise Unprocessable("The multipart upload is malformed")
                    break
                head = buffer[start + len(delimiter) : head_end].lower()
                if head.startswith(b"--"):  # the closing delimiter: no part left
                    raise Unprocessable("The multipart upload holds no file")
                is_file = b"filename=" in head
                buffer, in_part = buffer[head_end + 4 :], True
            end = buffer.find(closing)
            if end >= 0:
                if is_file:
                    yield buffer[:end]
                    return
                buffer, in_part = buffer[end + 2 :], False  # the next part
                continue
            keep = len(closing)
            if len(buffer) > keep:
                if is_file:
                    yield buffer[:-keep]
                buffer = buffer[-keep:]
            break
    raise Unprocessable("The multipart upload ends before its file does")
