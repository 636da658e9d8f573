"""The one ASGI app for the HTTP-facing roles (receive, mono): local, Knative, Lambda."""

from providers.asgi.app import create_app

__all__ = ["create_app"]
