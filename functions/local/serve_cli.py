"""`botless serve`: the local HTTP server (uvicorn) on the embedded bus."""

from __future__ import annotations

import argparse
import errno
import socket

from core.settings import TOPOLOGIES


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
    parser.add_argument("--log-level", default="INFO", help="log level (JSON lines on stderr)")


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


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from functions.local.runtime import StartupError, build_local_bot, fail
    from providers.asgi import create_app

    problem = port_problem(args.host, args.port)
    if problem:
        return fail(problem)
    try:
        bot, broker = build_local_bot(args.topology, args.log_level)
    except StartupError as error:
        return fail(str(error))
    app = create_app(bot, broker.publish)
    topology = args.topology or bot.settings.topology
    print(f"Botless on http://{args.host}:{args.port} ({topology}, {len(bot.registry)} commands). "
          f"Try: curl -s localhost:{args.port}/api/chat -d '{{\"text\": \"/help\"}}'")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower(), access_log=False)
    return 0
