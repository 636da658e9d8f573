"""Read a request body with a size limit, so an oversized request costs no memory."""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLargeError(ValueError):
    """The request body is over the configured limit (answer 413)."""


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLargeError as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"body of {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
