"""Reply text cut to what a platform takes."""

from __future__ import annotations


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
