"""The ASGI apps of the HTTP-facing roles (receive, mono).

providers/asgi/webhooks.py is the cloud targets' raw app (no web framework imported);
providers/asgi/app.py the Starlette app of `botless serve`. Importing the package imports
neither: `create_app` is looked up on first use, so a cold start never pays for Starlette.
"""

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from providers.asgi.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
