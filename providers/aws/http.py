"""HTTP events (Function URL, HTTP API v2, REST API v1): recognised here, converted by mangum.

mangum turns each shape into an ASGI request for the shared app and its answer back
into the shape the caller expects; this module says "this one is HTTP", and refuses
what mangum would crash on (a body flagged base64 that is not) with a 400 of its own.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any


def is_http(payload: Any) -> bool:
    """True for an API Gateway (v1 or v2), Function URL or ALB request."""
    if not isinstance(payload, Mapping):
        return False
    context = payload.get("requestContext")
    if not isinstance(context, Mapping):
        return False
    return "httpMethod" in payload or "http" in context or "elb" in context


def body_problem(payload: Mapping[str, Any]) -> str | None:
    """Why mangum cannot read this request's body (None when it can).

    API Gateway and Function URLs set `isBase64Encoded` for binary bodies; a body so
    flagged that is not base64 (RFC 4648, as API Gateway writes it) would raise in mangum.
    """
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        return f"the request body must be a string, got {type(body).__name__}"
    if payload.get("isBase64Encoded") and body:
        try:
            base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return "the request body is flagged isBase64Encoded but is not base64"
    return None


def bad_request(payload: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """A 400 in the response shape of every HTTP source (API Gateway v1/v2, Function URL, ALB)."""
    answer: dict[str, Any] = {"statusCode": 400, "headers": {"content-type": "application/json"},
                              "body": json.dumps({"error": reason}), "isBase64Encoded": False}
    context = payload.get("requestContext")
    if isinstance(context, Mapping) and "elb" in context:
        answer["statusDescription"] = "400 Bad Request"
    return answer
