"""A neutral HTTP request/response pair: every entrypoint converts to and from these.

The core sees the raw body (signatures are computed over the exact bytes) and
lower-cased headers; each web framework or FaaS event is two small conversions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HttpRequest:
    """An incoming request: method, path, lower-cased headers, query and the raw body."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""
    query: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, method: str, path: str, headers: Mapping[str, str], body: bytes,
              query: Mapping[str, str] | None = None) -> HttpRequest:
        return cls(method.upper(), path, {k.lower(): v for k, v in headers.items()}, body, dict(query or {}))

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class HttpResponse:
    """What to answer: status, body bytes and headers."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> HttpResponse:
        return cls(status, json.dumps(payload).encode(), {"content-type": "application/json"})

    @classmethod
    def error(cls, status: int, reason: str) -> HttpResponse:
        """An error with its reason, as JSON: `{"error": reason}`."""
        return cls.json(status, {"error": reason})

    @classmethod
    def text(cls, status: int, text: str) -> HttpResponse:
        return cls(status, text.encode(), {"content-type": "text/plain; charset=utf-8"})
