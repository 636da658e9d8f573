"""Read a request body with a size limit, so an oversized request costs no memory."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the raw ASGI app (providers/asgi/webhooks.py) reads bodies without Starlette
    from starlette.requests import Request


class BodyTooLargeError(ValueError):
    """The request body is over the configured limit (answer 413)."""


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body of a Starlette request, or BodyTooLargeError as soon as it passes `limit` bytes."""
    return await read_limited(request.headers.get("content-length"), request.stream(), limit)


async def read_limited(declared: str | None, chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """The joined `chunks`; BodyTooLargeError when the `declared` length or the bytes read pass `limit`.

    Reading stops at the chunk that passes the limit: the rest is never taken in.
    """
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"body of {declared} bytes is over the limit of {limit}")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"body is over the limit of {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)
