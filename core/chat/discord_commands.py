"""Register the bot's commands as Discord slash commands (one bulk overwrite call).

Each command with arguments gets one optional string option, `text`; the adapter
turns options back into argument text, so `/echo text:hello` runs `echo hello`.
"""

from __future__ import annotations

import re
from typing import Any

from core.chat.discord import DiscordConfig
from core.chat.slack_manifest import usage_hint
from core.registry import Registry

CHAT_INPUT = 1
STRING_OPTION = 3
MAX_COMMANDS = 100
_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


class RegistrationError(RuntimeError):
    """The commands could not be registered; the message says why (never the token)."""


def discord_commands(registry: Registry) -> list[dict[str, Any]]:
    """The application command objects for every command of `registry`."""
    bad = [spec.name for spec in registry.specs if not _NAME.match(spec.name)]
    if bad:
        raise RegistrationError(f"Discord command names are at most 32 characters; rename {', '.join(bad)}")
    if len(registry.specs) > MAX_COMMANDS:
        raise RegistrationError(f"Discord allows {MAX_COMMANDS} commands; this bot has {len(registry)}")
    commands = []
    for spec in registry.specs:
        command: dict[str, Any] = {"name": spec.name, "type": CHAT_INPUT, "description": spec.help[:100]}
        hint = usage_hint(spec)
        if hint:
            command["options"] = [{"type": STRING_OPTION, "name": "text", "description": hint[:100],
                                   "required": False}]
        commands.append(command)
    return commands


async def register_commands(config: DiscordConfig, registry: Registry, guild_id: str = "") -> list[Any]:
    """Overwrite the application's commands (or one guild's, which apply at once) with the registry's."""
    import httpx

    if not config.application_id or not config.bot_token:
        raise RegistrationError("set DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (Developer Portal → "
                                "your application → General Information and Bot)")
    scope = f"/guilds/{guild_id}" if guild_id else ""
    url = f"{config.api_url}/applications/{config.application_id}{scope}/commands"
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.put(url, json=discord_commands(registry),
                                     headers={"Authorization": f"Bot {config.bot_token}"})
    except httpx.HTTPError as error:
        raise RegistrationError(f"Discord could not be reached: {type(error).__name__}") from None
    if reply.status_code >= 300:
        raise RegistrationError(f"Discord answered {reply.status_code}: {reply.text[:300]}")
    registered = reply.json()
    return registered if isinstance(registered, list) else []
