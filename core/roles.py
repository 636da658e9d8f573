"""The four roles of the design: each a function from one CloudEvent to zero or more.

receive is platform-specific (core/chat); parse, command and respond live here. A
role ignores event types it does not handle, and a failing command becomes an
error reply, never an exception that would make a bus retry it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from cloudevents.http import CloudEvent

from core import events as ev
from core.chat.base import Responder, UnknownPlatformError
from core.logs import log_event, timed
from core.parser import ParserConfig, parse_command, parse_named_command
from core.registry import Command, Registry, Reply
from core.role_table import PIPELINE_ROLES

logger = logging.getLogger("botless")

ROLES = PIPELINE_ROLES  # the four roles of the flow, in order (core/role_table.py)


class Roles:
    """parse, command and respond for one bot: its registry, parser and responders."""

    def __init__(self, registry: Registry, parser: ParserConfig, responders: Mapping[str, Responder],
                 source: str = ev.SOURCE) -> None:
        self.registry = registry
        self.parser = parser
        self.responders = dict(responders)
        self.source = source

    async def handle(self, role: str, event: CloudEvent) -> list[CloudEvent]:
        """Run `role` on `event`, logging one line; unknown types are ignored politely."""
        handler = {"parse": self.parse, "command": self.command, "respond": self.respond}.get(role)
        if handler is None:
            raise ValueError(f"unknown role {role!r}: choose parse, command or respond")
        with timed() as ms:
            try:
                produced = await handler(event)
            except Exception:
                log_event(event, role, 0.0, "failed")
                raise
        log_event(event, role, ms[0], "ok" if produced is not None else "ignored",
                  emitted=[e["type"] for e in produced or []])
        return produced or []

    async def mono(self, event: CloudEvent) -> list[CloudEvent]:
        """All roles in one invocation: follow the event through until nothing is left."""
        pending = [event]
        while pending:
            current = pending.pop(0)
            kind = current["type"]
            if kind == ev.CHAT_MESSAGE:
                pending.extend(await self.handle("parse", current))
            elif kind.startswith(ev.COMMAND_PREFIX):
                pending.extend(await self.handle("command", current))
            elif kind == ev.BOT_RESPONSE:
                await self.handle("respond", current)
        return []

    async def parse(self, event: CloudEvent) -> list[CloudEvent] | None:
        if event["type"] != ev.CHAT_MESSAGE:
            return None
        message = ev.ChatMessage.from_data(event.data)
        if message.command:
            parsed = parse_named_command(message.command, message.text)
        else:
            parsed = parse_command(message.text, self.parser)
        if parsed is None:
            return []
        spec = self.registry.find(parsed.name)
        if spec is None:
            return [self._reply(event, message, self._unknown(parsed.name), is_error=True)]
        invocation = ev.CommandInvocation(
            name=spec.name, raw_args=parsed.raw_args, args=parsed.args, text=message.text,
            platform=message.platform, user=message.user, channel=message.channel,
            thread=message.thread, message_id=message.message_id,
        )
        return [ev.derive_event(event, ev.command_type(spec.name), invocation, source=self.source)]

    async def command(self, event: CloudEvent) -> list[CloudEvent] | None:
        if not event["type"].startswith(ev.COMMAND_PREFIX):
            return None
        invocation = ev.CommandInvocation.from_data(event.data, event["type"])
        spec = self.registry.find(invocation.name)
        if spec is None:
            return [self._reply(event, invocation, self._unknown(invocation.name), is_error=True)]
        command = Command(
            name=spec.name, raw_args=invocation.raw_args, args=invocation.args, text=invocation.text,
            platform=invocation.platform, user=invocation.user, channel=invocation.channel,
            thread=invocation.thread, registry=self.registry,
        )
        try:
            if spec.is_async:
                result = await spec.handler(command)  # type: ignore[misc]
            else:
                result = spec.handler(command)
                if asyncio.iscoroutine(result):
                    result = await result
        except Exception as error:  # a command's bug must not crash the bot or trigger retries
            logger.exception("command %s failed on event %s", spec.name, event["id"])
            text = f"Sorry, `/{spec.name}` failed ({type(error).__name__}); the error is logged."
            return [self._reply(event, invocation, text, is_error=True, command=spec.name,
                                extra={"error_event_id": event["id"]})]
        if result is None:
            return []
        if isinstance(result, Reply):
            return [self._reply(event, invocation, result.text, is_error=result.is_error,
                                ephemeral=result.ephemeral, command=spec.name)]
        return [self._reply(event, invocation, str(result), command=spec.name)]

    async def respond(self, event: CloudEvent) -> list[CloudEvent] | None:
        if event["type"] != ev.BOT_RESPONSE:
            return None
        response = ev.BotResponse.from_data(event.data)
        responder = self.responders.get(response.platform)
        if responder is None:
            raise UnknownPlatformError(
                f"no responder for platform {response.platform!r} (configured: "
                f"{', '.join(sorted(self.responders)) or 'none'})"
            )
        await responder.send(response, event)
        return []

    def _unknown(self, name: str) -> str:
        suggestions = self.registry.suggest(name)
        if suggestions:
            return f"I don't know `/{name}`. Did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?"
        return f"I don't know `/{name}`. Try `/help`."

    def _reply(self, parent: CloudEvent, origin: ev.ChatMessage | ev.CommandInvocation, text: str, *,
               is_error: bool = False, ephemeral: bool = False, command: str = "",
               extra: dict[str, str] | None = None) -> CloudEvent:
        response = ev.BotResponse(
            text=text, platform=origin.platform, channel=origin.channel, thread=origin.thread,
            message_id=origin.message_id, command=command, is_error=is_error, ephemeral=ephemeral,
            extra=extra or {},
        )
        return ev.derive_event(parent, ev.BOT_RESPONSE, response, source=self.source)
