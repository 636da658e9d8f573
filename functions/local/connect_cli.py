"""`botless connect SOURCE`: hold a chat server's connection on the embedded bus, no public URL.

Each source's flags come from its Options (core/sources/definition.py): a flag sets the
environment variable the source reads, so `--server` and IRC_SERVER are one setting.
Secrets are never flags; they come from the environment.
"""

from __future__ import annotations

import argparse
import os

from core.channels import WIRINGS
from core.settings import TOPOLOGIES
from core.sources.definition import SourceDefinition
from core.sources.registry import SOURCES, source_definition
from functions.local.options import log_level


def configure(parser: argparse.ArgumentParser) -> None:
    sources = parser.add_subparsers(dest="source", metavar="SOURCE")
    sources.required = True
    for name in SOURCES:
        definition = source_definition(name)
        sub = sources.add_parser(name, help=definition.summary, description=_description(definition))
        for option in definition.options:
            if option.secret or not option.flag:
                continue
            if option.flag_value:
                sub.add_argument(option.flag, dest=option.env, action="store_const", const=option.flag_value,
                                 help=f"{option.help} (sets {option.env})")
            else:
                sub.add_argument(option.flag, dest=option.env, action="append" if option.repeatable else "store",
                                 help=f"{option.help} (sets {option.env})")
        sub.add_argument("--topology", choices=TOPOLOGIES, default=None,
                         help="mono (one function for all roles) or pipeline (one per role)")
        sub.add_argument("--wiring", choices=WIRINGS, default="broker",
                         help="the embedded bus: a Broker with Triggers, or Channels with Subscriptions")
        sub.add_argument("--log-level", default="INFO", type=log_level, help="log level (JSON lines on stderr)")


def _description(definition: SourceDefinition) -> str:
    secrets = ", ".join(definition.secrets)
    tail = f" Secrets come from the environment: {secrets}." if secrets else ""
    return f"{definition.summary}.{tail}"


def settings_from_args(definition: SourceDefinition, args: argparse.Namespace) -> dict[str, str]:
    """The environment variables the given flags set (repeated flags joined with ",")."""
    env: dict[str, str] = {}
    for option in definition.options:
        value = getattr(args, option.env, None)
        if value is None:
            continue
        env[option.env] = ",".join(value) if isinstance(value, list) else str(value)
    return env


def run(args: argparse.Namespace) -> int:
    import asyncio

    from core.bot import Bot
    from core.logs import configure_logging
    from core.registry import CommandDefinitionError
    from core.settings import Settings, SettingsError
    from core.sources.base import SourceRefused
    from core.sources.session import run_source
    from functions.local.runtime import fail, local_adapters, local_dedupe

    definition = source_definition(args.source)
    os.environ.update(settings_from_args(definition, args))
    configure_logging(args.log_level)
    try:
        settings = Settings.from_env()
        store = local_dedupe(settings.extra)
        source = definition.build(settings.extra, store, settings)
        bot = Bot(settings, adapters=local_adapters(settings, store), responders=[source], dedupe=store)
    except (SettingsError, CommandDefinitionError) as error:
        return fail(str(error))
    broker = bot.broker(args.topology or settings.topology, args.wiring)
    print(source.describe(), flush=True)
    try:
        asyncio.run(run_source(source, broker.publish))
    except SourceRefused as error:  # refused by the server for a reason the user must fix
        return fail(str(error))
    return 0
