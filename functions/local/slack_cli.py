"""`botless slack manifest --url https://…`: print the Slack app manifest (YAML) for this bot."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    manifest = actions.add_parser("manifest", help="print a Slack app manifest with this bot's slash commands",
                                  description="Print a Slack app manifest (YAML) to paste into "
                                              "api.slack.com/apps → Create New App → From a manifest.")
    where = manifest.add_mutually_exclusive_group(required=True)
    where.add_argument("--url",
                       help="the bot's public https URL (e.g. https://bot.example.com); /slack/events is added")
    where.add_argument("--socket-mode", action="store_true",
                       help="no URL: Slack sends everything over the socket `botless connect slack` opens")
    manifest.add_argument("--name", default="Botless", help="the app's name in Slack (default Botless)")


def run(args: argparse.Namespace) -> int:
    import yaml

    from core.chat.slack_manifest import ManifestError, slack_manifest
    from functions.local.runtime import StartupError, build_local_bot, fail

    try:
        bot, _ = build_local_bot()
        manifest = slack_manifest(bot.registry, None if args.socket_mode else args.url, args.name)
        print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), end="")
    except (StartupError, ManifestError) as error:
        return fail(str(error))
    return 0
