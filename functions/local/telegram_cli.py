"""`botless telegram set-webhook URL`: tell Telegram where to send updates, with the secret token."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    set_webhook = actions.add_parser(
        "set-webhook", help="call setWebhook with this bot's URL and TELEGRAM_SECRET_TOKEN",
        description="Call Telegram's setWebhook. Needs TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN.")
    set_webhook.add_argument("url", metavar="URL",
                             help="the bot's public https URL (e.g. https://bot.example.com); "
                                  "/telegram/webhook is added")
    set_webhook.add_argument("--drop-pending-updates", action="store_true",
                             help="discard the updates Telegram is still holding for the bot")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from core.chat.base import DeliveryError
    from core.chat.telegram import TelegramConfig, set_webhook
    from core.chat.urls import public_endpoint
    from core.settings import SettingsError
    from functions.local.runtime import StartupError, build_local_bot, fail

    try:
        bot, _ = build_local_bot()
        config = TelegramConfig.from_env(bot.settings.extra)
        url = public_endpoint(args.url, "/telegram/webhook")
        asyncio.run(set_webhook(config, url, drop_pending_updates=args.drop_pending_updates))
    except (StartupError, SettingsError, DeliveryError, ValueError) as error:
        return fail(str(error))
    print(f"Telegram now sends updates to {url} (with the secret token).")
    return 0
