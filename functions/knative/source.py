"""Knative entrypoint of a chat source: `python -m functions.knative.source irc|slack|telegram`.

One process holds the chat connection (core/sources/session.py) and serves the replies'
`POST /` on $PORT (providers/knative/source_app.py). SIGTERM lets the messages in flight
reach the sink, closes the connection, then stops the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when the source starts, not when its module is read
    import uvicorn

logger = logging.getLogger("botless")


async def serve_source(name: str, env: Mapping[str, str], *, host: str = "0.0.0.0",
                       stop: asyncio.Event | None = None) -> None:
    """Run source `name` bound to K_SINK, its replies served on `host`:$PORT, until SIGTERM or `stop`."""
    import uvicorn

    from core.bot import Bot
    from core.dedupe import dedupe_from_env
    from core.settings import Settings
    from core.sources.registry import source_definition
    from core.sources.session import run_source
    from providers.knative.dedupe import store_from_env
    from providers.knative.oidc import verifier_from_env
    from providers.knative.sink import KnativeSink
    from providers.knative.source_app import build_source_app
    from providers.runtime import ConfigurationError

    definition = source_definition(name)
    settings = Settings.from_env(env)
    sink = KnativeSink.from_env(env)
    if sink is None:
        raise ConfigurationError(f"the {name} source publishes to K_SINK, which is not set: bind its "
                                 "Deployment to the Broker with a SinkBinding (botless manifests --source)")
    store = store_from_env(env) or dedupe_from_env(settings.extra)
    source = definition.build(settings.extra, store, settings)
    bot = Bot(settings, responders=[source], dedupe=store)
    app = build_source_app(bot, source, verifier_from_env(env))
    server = _quiet_server(uvicorn.Config(app, host=host, port=int(env.get("PORT", "8080")),
                                         log_level="warning", access_log=False, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        await run_source(source, sink.publish, stop=stop)
    finally:
        server.should_exit = True
        await serving
        await sink.aclose()


def _quiet_server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's Server without its own signal handlers: run_source owns SIGTERM here."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)


def main(argv: Sequence[str] | None = None) -> int:
    from core.logs import configure_logging, log_level_of
    from core.settings import SettingsError
    from core.sources.base import SourceRefused
    from core.sources.registry import SOURCES, UnknownSourceError
    from providers.runtime import ConfigurationError

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(f"usage: python -m functions.knative.source {{{','.join(SOURCES)}}}", file=sys.stderr)
        return 2
    configure_logging(log_level_of(os.environ) or "INFO")
    try:
        asyncio.run(serve_source(args[0], os.environ))
    except (UnknownSourceError, SettingsError, ConfigurationError, SourceRefused) as error:
        print(f"botless: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
