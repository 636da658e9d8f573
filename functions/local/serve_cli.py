"""`botless serve`: the local HTTP server (uvicorn) on the embedded bus, with the web chat at `GET /`."""

from __future__ import annotations

import argparse
import errno
import socket
from typing import TYPE_CHECKING

from core.channels import WIRINGS
from core.settings import TOPOLOGIES
from functions.local.options import log_level
from providers.asgi.access import TOKEN_SETTING, LocalAccess, is_loopback

if TYPE_CHECKING:  # the CLI's other commands start without Starlette's or the bus's imports
    from starlette.applications import Starlette

    from core.bot import Bot
    from core.bus import Broker


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port {port} is outside 1-65535")
    return port


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--topology", choices=TOPOLOGIES, default=None,
                        help="mono (one function for all roles) or pipeline (one per role)")
    parser.add_argument("--wiring", choices=WIRINGS, default="broker",
                        help="the embedded bus: a Broker with Triggers, or Channels with Subscriptions")
    parser.add_argument("--log-level", default="INFO", type=log_level, help="log level (JSON lines on stderr)")
    parser.add_argument("--ingress", action="store_true",
                        help="serve the CloudEvents ingress POST / (off by default: it takes any event); "
                             "off loopback it needs BOTLESS_INGRESS_TOKEN")


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, or None when it is free."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use; stop the other server or pass --port"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def ingress_problem(host: str, ingress: bool, token: str) -> str | None:
    """Why the ingress cannot be served on `host` as configured, or None."""
    if ingress and not token and not is_loopback(host):
        return (f"--ingress on {host} (not loopback) would take events from anyone who reaches it: "
                f"set {TOKEN_SETTING} to a long random string (callers send Authorization: Bearer <it>), "
                "or listen on 127.0.0.1")
    return None


def startup_line(access: LocalAccess, port: int, topology: str, commands: int, ingress: bool) -> str:
    """The line `botless serve` prints: where it listens, whether the ingress is on, how to try it."""
    if access.token:
        guard = "bearer token required"
    elif access.loopback:
        guard = "loopback only"
    else:
        guard = "refused until BOTLESS_INGRESS_TOKEN is set"
    front = f"ingress POST / {'on' if ingress else 'off'}; /api/chat {guard}"
    auth = ' -H "Authorization: Bearer $BOTLESS_INGRESS_TOKEN"' if access.needs_token else ""
    host = access.host
    return (f"Botless on http://{host}:{port} ({topology}, {commands} commands; {front}). "
            f"Chat in a browser at http://{host}:{port}/ or try: "
            f"curl -s{auth} localhost:{port}/api/chat -d '{{\"text\": \"/help\"}}'")


def serve_app(bot: Bot, broker: Broker, access: LocalAccess, ingress: bool) -> Starlette:
    """The app `botless serve` runs: the web chat, /api/chat answering with each message's trace."""
    from providers.asgi.app import create_app
    from providers.asgi.web import trace_broker

    tracer = trace_broker(broker, bot.roles)
    return create_app(bot, broker.publish, ingress=ingress, access=access, tracer=tracer, web=True)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from functions.local.runtime import StartupError, build_local_bot, fail

    try:
        bot, broker = build_local_bot(args.topology, args.log_level, args.wiring)
    except StartupError as error:
        return fail(str(error))
    problem = ingress_problem(args.host, args.ingress, bot.settings.ingress_token) or port_problem(args.host, args.port)
    if problem:
        return fail(problem)
    access = LocalAccess.for_host(args.host, bot.settings.ingress_token)
    app = serve_app(bot, broker, access, args.ingress)
    topology = args.topology or bot.settings.topology
    print(startup_line(access, args.port, topology, len(bot.registry), args.ingress))
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower(), access_log=False)
    return 0
