"""The `botless` command. Each subcommand lives in its own module, imported when used."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> (module, one-line help). A module has `configure(parser)` and `run(args) -> int`;
# heavy imports happen inside `run`, so `botless chat` starts fast.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("functions.local.chat_cli", "talk to the bot in this terminal, no cloud needed"),
    "serve": ("functions.local.serve_cli", "run the bot as a local HTTP server"),
    "package": ("functions.local.package_cli", "build what a target deploys (zip or container build context)"),
    "manifests": ("functions.local.manifests_cli", "print the Knative objects as YAML for kubectl apply -f -"),
    "deploy": ("functions.local.deploy_cli", "package, then terraform init and plan/apply in infra/<target>"),
    "slack": ("functions.local.slack_cli", "Slack: print the app manifest for this bot"),
    "discord": ("functions.local.discord_cli", "Discord: register the bot's slash commands"),
    "telegram": ("functions.local.telegram_cli", "Telegram: point the bot's webhook here"),
    "connect": ("functions.local.connect_cli", "hold a chat server's connection (Slack Socket Mode, Telegram, IRC)"),
    "cost": ("functions.local.cost_cli", "what one chat message costs on each target, measured"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="botless",
                                     description="Botless: a serverless chatbot that speaks CloudEvents.")
    commands = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    commands.required = True
    for name, (module_name, summary) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=summary, description=summary)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `botless` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
