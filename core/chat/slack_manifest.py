"""A Slack app manifest for this bot: its slash commands and its events URL, as YAML.

Paste the output into api.slack.com/apps → Create New App → From a manifest. The
slash commands come from the bot's registry; all of them, and the Events API, use the
one endpoint `/slack/events`. Without a URL (`url=None`) the manifest is for Socket Mode
(`botless connect slack`): no request URLs, `socket_mode_enabled: true`.
"""

from __future__ import annotations

from typing import Any

from core.chat.urls import public_endpoint
from core.registry import CommandSpec, Registry

EVENTS_PATH = "/slack/events"
# Slack's limits: 50 slash commands per app, names up to 32 characters,
# descriptions up to 2000 and usage hints up to 1000.
MAX_COMMANDS = 50
MAX_COMMAND_NAME = 32
BOT_SCOPES = ("app_mentions:read", "chat:write", "commands", "im:history")
BOT_EVENTS = ("app_mention", "message.im")


class ManifestError(ValueError):
    """The manifest cannot be built; the message says what to change."""


def usage_hint(spec: CommandSpec) -> str:
    """The arguments part of a command's usage (`/echo <text>` → `<text>`)."""
    usage = spec.usage.strip()
    for head in (f"/{spec.name}", spec.name):
        if usage.startswith(head):
            return usage[len(head):].strip()
    return usage


def slack_manifest(registry: Registry, url: str | None, name: str = "Botless") -> dict[str, Any]:
    """The manifest as a dict: bot user, slash commands, scopes and event subscriptions.

    `url` None: for Socket Mode, where Slack sends everything over the bot's own socket.
    """
    try:
        events_url = public_endpoint(url, EVENTS_PATH) if url is not None else ""
    except ValueError as error:
        raise ManifestError(str(error)) from None
    too_long = [spec.name for spec in registry.specs if len(spec.name) + 1 > MAX_COMMAND_NAME]
    if too_long:
        raise ManifestError(f"Slack allows slash commands of at most {MAX_COMMAND_NAME} characters; "
                            f"rename {', '.join(too_long)}")
    if len(registry.specs) > MAX_COMMANDS:
        raise ManifestError(f"Slack allows {MAX_COMMANDS} slash commands per app; this bot has {len(registry)}")
    commands = []
    for spec in registry.specs:
        command: dict[str, Any] = {"command": f"/{spec.name}", "description": spec.help[:2000],
                                   "should_escape": False}
        if events_url:
            command["url"] = events_url
        hint = usage_hint(spec)
        if hint:
            command["usage_hint"] = hint[:1000]
        commands.append(command)
    return {
        "display_information": {"name": name},
        "features": {
            # The Messages tab lets people DM the bot (the message.im event).
            "app_home": {"messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": {**({"request_url": events_url} if events_url else {}),
                                    "bot_events": list(BOT_EVENTS)},
            "org_deploy_enabled": False,
            "socket_mode_enabled": not events_url,
            "token_rotation_enabled": False,
        },
    }
