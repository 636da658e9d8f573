"""The web chat of `botless serve`: a page at `GET /`, its API, and the trace of each message's events."""

from providers.asgi.web.page import web_routes
from providers.asgi.web.trace import Tracer, TraceStep, trace_broker

__all__ = ["TraceStep", "Tracer", "trace_broker", "web_routes"]
