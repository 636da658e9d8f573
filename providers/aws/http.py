"""HTTP events (Function URL, HTTP API v2, REST API v1): recognised here, converted by mangum.

mangum turns each shape into an ASGI request for the shared app and its answer back
into the shape the caller expects; this module only says "this one is HTTP".
"""

from __future__ import annotations

from typing import Any, Mapping


def is_http(payload: Any) -> bool:
    """True for an API Gateway (v1 or v2), Function URL or ALB request."""
    if not isinstance(payload, Mapping):
        return False
    context = payload.get("requestContext")
    if not isinstance(context, Mapping):
        return False
    return "httpMethod" in payload or "http" in context or "elb" in context
