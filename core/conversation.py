"""Talk to a bot in-process: one text in, the replies out, through all four roles."""

from __future__ import annotations

import uuid

from core import events as ev
from core.bot import Bot
from core.bus import Broker


async def ask(bot: Bot, broker: Broker, text: str, *, platform: str = "console",
              user: str = "local-user", channel: str = "local") -> list[ev.BotResponse]:
    """Publish `text` as a chat message on `broker` and return the replies it caused."""
    message = ev.ChatMessage(
        platform=platform, text=text, user=ev.ChatUser(id=user, name=user),
        channel=channel, message_id=str(uuid.uuid4()),
    )
    await broker.publish(ev.chat_message_event(message, source=f"{bot.settings.source}/{platform}"))
    return bot.outbox.take(message.message_id)
