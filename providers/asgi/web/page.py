"""The web chat's routes: the page and the files it loads (public, static), and the command list (guarded).

The page, its script and its style sheet are files of this package (no build step, no
CDN): they hold no bot data, so anyone who reaches the server may load them. Everything
the page shows comes through `/api/commands` and `/api/chat`, which pass the same access
check as the ingress (providers/asgi/access.py), so serving the page opens nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.registry import Registry

Endpoint = Callable[[Request], Awaitable[Response]]

# The files the page is made of: URL path, file name in this package, media type.
PAGE_FILES = (
    ("/", "chat.html", "text/html; charset=utf-8"),
    ("/web/chat.js", "chat.js", "text/javascript; charset=utf-8"),
    ("/web/chat.css", "chat.css", "text/css; charset=utf-8"),
    ("/web/icon.svg", "icon.svg", "image/svg+xml"),
)
# Only this server's own files run, and nothing frames the page or leaves with a referrer.
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


def web_routes(registry: Registry, guard: Callable[[Endpoint], Endpoint]) -> list[Route]:
    """`GET /` and the files it loads (PAGE_FILES), and `GET /api/commands` behind `guard`."""
    routes = [Route(path, _file_endpoint(name, media_type), methods=["GET"]) for path, name, media_type in PAGE_FILES]

    async def commands(request: Request) -> Response:
        return JSONResponse({"commands": command_list(registry)})

    routes.append(Route("/api/commands", guard(commands), methods=["GET"]))
    return routes


def command_list(registry: Registry) -> list[dict[str, object]]:
    """Every command once, by name: what the page's autocomplete offers."""
    return [{"name": spec.name, "usage": spec.usage or f"/{spec.name}", "help": spec.help,
             "aliases": list(spec.aliases)} for spec in registry.specs]


def _file_endpoint(name: str, media_type: str) -> Endpoint:
    body = files(__package__).joinpath(name).read_bytes()  # read once, when the app is built

    async def endpoint(request: Request) -> Response:
        return Response(body, media_type=media_type, headers=SECURITY_HEADERS)

    return endpoint
