"""`botless discord register`: register this bot's commands as Discord slash commands."""

from __future__ import annotations

import argparse
import json


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    register = actions.add_parser(
        "register", help="register the bot's commands as Discord slash commands",
        description="Overwrite the application's slash commands with this bot's commands. "
                    "Needs DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN.")
    register.add_argument("--guild", default="", metavar="GUILD_ID",
                          help="register in one server only (handy while testing)")
    register.add_argument("--dry-run", action="store_true", help="print the commands as JSON, send nothing")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from core.chat.discord import DiscordConfig
    from core.chat.discord_commands import (
        RegistrationError,
        discord_commands,
        register_commands,
    )
    from core.settings import SettingsError
    from functions.local.runtime import StartupError, build_local_bot, fail

    try:
        bot, _ = build_local_bot()
        if args.dry_run:
            print(json.dumps(discord_commands(bot.registry), indent=2))
            return 0
        config = DiscordConfig.from_env(bot.settings.extra)
        registered = asyncio.run(register_commands(config, bot.registry, args.guild))
    except (StartupError, SettingsError, RegistrationError) as error:
        return fail(str(error))
    where = f"server {args.guild}" if args.guild else "every server the app is in"
    names = ", ".join(f"/{command.get('name')}" for command in registered if isinstance(command, dict))
    print(f"Registered {len(registered)} commands for {where}: {names}")
    return 0
