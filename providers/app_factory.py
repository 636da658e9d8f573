"""The one factory of the cloud targets: the bot, and each role's two doors, from explicit inputs.

Each entrypoint (functions/*) builds its app once, at import (the instance's init phase),
through its cloud's `app_from_env(os.environ)`: the environment is read once into
Settings, the chat secrets its target keeps elsewhere (SSM on Lambda) are passed in as a
mapping, the target's shared store is built, and `build_bot` makes the bot. Nothing here
caches: a test builds its own app the same way, with the environment it chooses.

What a cloud keeps for itself: its trigger sources (providers/triggers.py) and the
mapping of what a role did to its response shape. What every cloud shares is
`RoleDoors`: the webhooks of the HTTP roles (receive publishes, mono runs the chain and
defers) and the bus door of the others (mono resumes deferred work, a pipeline role runs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from cloudevents.http import CloudEvent

from core.bot import Bot
from core.chat.base import Responder
from core.chat.platforms import adapters_from_env
from core.dedupe import DedupeStore, dedupe_from_env
from core.role_table import HTTP_ROLES, ROLE_TABLE
from core.settings import Settings
from providers.asgi.webhooks import WebhooksApp
from providers.mono import MonoChain
from providers.runtime import ConfigurationError, Deferrer, Publisher, role_from_env, run_role
from providers.triggers import UnknownTriggerError


def with_secrets(settings: Settings, secrets: Mapping[str, str]) -> Settings:
    """`settings` whose environment also holds `secrets` (the chat adapters read theirs there).

    The caller chose which secrets fill in (providers/aws/secrets.py leaves a variable the
    environment sets alone), so a given secret wins here.
    """
    if not secrets:
        return settings
    return dataclasses.replace(settings, extra={**settings.extra, **secrets})


def build_bot(settings: Settings, secrets: Mapping[str, str] | None = None,
              dedupe: DedupeStore | None = None, responders: Iterable[Responder] = ()) -> Bot:
    """The deployment's bot: `settings` with `secrets`, its chat adapters and one dedupe store.

    `dedupe` is the target's shared store (None: the one `BOTLESS_DEDUPE` names, this
    instance's memory by default); `responders` take over their platforms from the adapters.
    Constructors do no network I/O.
    """
    settings = with_secrets(settings, secrets or {})
    store = dedupe if dedupe is not None else dedupe_from_env(settings.extra)
    return Bot(settings, adapters=adapters_from_env(settings, store), responders=responders, dedupe=store)


def role_of(settings: Settings, default: str = "mono") -> str:
    """The role this deployment plays (`BOTLESS_ROLE` in `settings`), validated."""
    return role_from_env(dict(settings.extra), default)


class RoleDoors:
    """One role of one deployment, wired to its bus: its webhooks (HTTP roles) and its bus door.

    `publisher` is the target's bus (receive, parse and command publish to it); `deferrer`
    the asynchronous mechanism mono hands slow work to (ConfigurationError without one).
    """

    def __init__(self, bot: Bot, role: str, *, target: str, publisher: Publisher | None = None,
                 deferrer: Deferrer | None = None) -> None:
        if role not in ROLE_TABLE:
            raise ConfigurationError(f"unknown role {role!r} on {target}: choose one of {', '.join(ROLE_TABLE)}")
        self.bot = bot
        self.role = role
        self.target = target
        self.publisher = publisher
        self.chain = MonoChain(bot, deferrer, target=target) if role == "mono" else None

    def webhooks(self) -> WebhooksApp:
        """The shared ASGI app of an HTTP role: chat webhooks only (no ingress, no /api/chat).

        A raw ASGI app (providers/asgi/webhooks.py): a target that adds routes wraps it.

        receive publishes what it receives, and hands deferred events to the bus before the
        ack too (the instance may get no CPU once it answered); mono runs the chain here.
        """
        if self.role not in HTTP_ROLES:
            raise UnknownTriggerError(f"an HTTP request reached the {self.role} function; only "
                                      f"{' and '.join(HTTP_ROLES)} serve HTTP (check the route)")
        if self.chain is not None:
            return WebhooksApp(self.bot, self.chain.run, defer=self.chain.defer)
        publish = self.required_publisher().publish
        return WebhooksApp(self.bot, publish, defer=publish)

    async def on_bus(self, event: CloudEvent) -> list[CloudEvent]:
        """Run the role on a bus-delivered `event` (mono: resume deferred work); what it emitted.

        Raises InFlightError for a redelivery another invocation still holds, and
        UnknownTriggerError when the bus reaches receive (which takes HTTP only).
        """
        if self.chain is not None:
            await self.chain.resume(event)
            return []
        if not ROLE_TABLE[self.role].bus_triggered:
            raise UnknownTriggerError(f"a bus event ({event['type']}) reached the {self.role} function, "
                                      "which takes HTTP only; check the bus's routing to it")
        publisher = self.required_publisher() if ROLE_TABLE[self.role].publishes else None
        return await run_role(self.bot, self.role, event, publisher)

    def required_publisher(self) -> Publisher:
        """The bus publisher; ConfigurationError when this role publishes and has none."""
        if self.publisher is None:
            raise ConfigurationError(f"the {self.role} role on {self.target} publishes to the bus, "
                                     "but it has no publisher")
        return self.publisher
