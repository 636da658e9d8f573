"""The four roles of the design: each a function from one CloudEvent to zero or more.

receive is platform-specific (core/chat); parse, command and respond live here, and
mono, which runs them in one loop. Which role acts on which event type is
core/role_table.py's to say. A role ignores event types it does not handle, and a
failing command becomes an error reply, never an exception that would make a bus retry it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from cloudevents.http import CloudEvent

from core import events as ev
from core.chat.answer import offered
from core.chat.base import RateLimited, Responder, UnknownPlatformError
from core.chat.rate_limits import waiting_up_to
from core.logs import log_event
from core.parser import ParsedCommand, ParserConfig, parse_command, parse_named_command
from core.registry import Command, Registry, Reply
from core.role_table import BUS_ROLES, PIPELINE_ROLES, ROLE_TABLE, handles, roles_of

logger = logging.getLogger("botless")

ROLES = PIPELINE_ROLES  # the four roles of the flow, in order (core/role_table.py)
# The role that runs the whole flow in one invocation (the mono topology's one function).
[CHAIN_ROLE] = roles_of("mono")

# One step of the chain: a bus role run on one event, returning what it emits.
Step = Callable[[CloudEvent], Awaitable[list[CloudEvent]]]
# Wraps each step of the chain: given the role, the event and the step, it returns what
# the chain continues with (MonoChain: a command run under a budget, or deferred: []).
StepGuard = Callable[[str, CloudEvent, Step], Awaitable[list[CloudEvent]]]


class Roles:
    """parse, command and respond for one bot: its registry, parser and responders."""

    def __init__(self, registry: Registry, parser: ParserConfig, responders: Mapping[str, Responder],
                 source: str = ev.SOURCE, rate_limit_wait_seconds: float = 5.0) -> None:
        self.registry = registry
        self.parser = parser
        self.responders = dict(responders)
        self.source = source
        # How long respond may wait on a platform's 429 or 5xx (core/chat/rate_limits.py).
        self.rate_limit_wait_seconds = rate_limit_wait_seconds
        # One handler per bus role of the table, by its name: a role without one fails here.
        self._handlers: dict[str, Callable[[CloudEvent], Awaitable[list[CloudEvent] | None]]] = {
            name: getattr(self, name) for name in BUS_ROLES}

    async def run(self, role: str, event: CloudEvent, guard: StepGuard | None = None) -> list[CloudEvent]:
        """Run `role` of the table on `event`: one step of the flow, or (mono) the whole chain."""
        if role == CHAIN_ROLE:
            return await self.mono(event, guard)
        return await self.handle(role, event)

    def subscriber(self, role: str) -> Step:
        """`role` as a subscriber of the embedded broker (core/bus.py's role_triggers)."""
        return functools.partial(self.run, role)

    async def handle(self, role: str, event: CloudEvent) -> list[CloudEvent]:
        """Run `role` on `event`, logging one line; unknown types are ignored politely."""
        handler = self._handlers.get(role)
        if handler is None:
            raise ValueError(f"unknown role {role!r}: choose {', '.join(BUS_ROLES[:-1])} or {BUS_ROLES[-1]}")
        started = time.perf_counter()
        try:
            produced = await handler(event) if handles(role, event["type"]) else None
        except Exception:
            log_event(event, role, 0.0, "failed")
            raise
        log_event(event, role, (time.perf_counter() - started) * 1000, "ok" if produced is not None else "ignored",
                  emitted=[e["type"] for e in produced or []])
        return produced or []

    async def mono(self, event: CloudEvent, guard: StepGuard | None = None) -> list[CloudEvent]:
        """All roles in one invocation: follow the event through until nothing is left.

        Each event goes to the bus role that handles its type (none: it is dropped); `guard`,
        when given, wraps each step (MonoChain defers a slow command through it). A reply the
        platform rate-limits raises RateLimited carrying that reply as `pending`, so the bus
        redelivers only it, after the wait.
        """
        pending = [event]
        while pending:
            current = pending.pop(0)
            role = _bus_role_of(current["type"])
            if role is None:
                continue
            step = functools.partial(self.handle, role)
            try:
                pending.extend(await (guard(role, current, step) if guard else step(current)))
            except RateLimited as limited:
                if limited.pending is None:
                    limited.pending = current  # redeliver the reply, not the whole chain
                raise
        return []

    async def parse(self, event: CloudEvent) -> list[CloudEvent] | None:
        """The command in a chat message, as its command event (a reply when it is unknown; none for plain text)."""
        message = ev.data_of(event, ev.ChatMessage)
        parsed: ParsedCommand | None
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
        """Run the command of a command event; its reply (an error reply when the command fails)."""
        invocation = ev.data_of(event, ev.CommandInvocation)
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
        """Send a response event's reply through its platform's responder."""
        response = ev.data_of(event, ev.BotResponse)
        responder = self.responders.get(response.platform)
        if responder is None:
            raise UnknownPlatformError(
                f"no responder for platform {response.platform!r} (configured: "
                f"{', '.join(sorted(self.responders)) or 'none'})"
            )
        if offered(str(event.get_attributes().get(ev.EXT_REPLY_TO, "")), response):
            return []  # it goes out in the webhook's own HTTP answer (core/chat/answer.py)
        with waiting_up_to(self.rate_limit_wait_seconds):
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


@functools.lru_cache(maxsize=1024)  # once per event type, not once per event
def _bus_role_of(event_type: str) -> str | None:
    """The bus role of the flow that acts on `event_type` (None when no role does)."""
    return next((name for name in BUS_ROLES if ROLE_TABLE[name].handles(event_type)), None)
