"""The ASGI apps of the HTTP-facing roles (receive, mono).

providers/asgi/webhooks.py is the cloud targets' raw app (no web framework imported);
providers/asgi/app.py the Starlette app of `botless serve`. The package imports neither,
and re-exports nothing: a Lambda or Azure artifact holds only the modules its entrypoint
imports (tooling/packaging/imports.py follows every import), so Starlette stays out of it.
"""
