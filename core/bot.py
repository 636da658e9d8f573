"""The bot object: its registry, roles and chat adapters, built and validated once.

Every entrypoint (local, Knative, Cloud Functions, Lambda, Azure) builds one `Bot`
and hands it events; nothing here knows which target it runs on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from core.chat.base import ChatAdapter, Responder
from core.chat.local import LOCAL_PLATFORMS, LocalResponder, Outbox
from core.commands import BUILTIN_COMMAND_SETS
from core.dedupe import DedupeStore, MemoryDedupeStore
from core.loader import load_entry_points, load_modules
from core.registry import CommandSet, Registry
from core.role_table import roles_of
from core.roles import Roles
from core.settings import TOPOLOGIES, Settings

if TYPE_CHECKING:
    from core.bus import Broker


class Bot:
    """One Botless bot: commands, parser settings, platform adapters and the four roles.

    `dedupe` is the store that remembers handled deliveries (the adapters' webhook
    retries, the buses' redelivered events); by default this process's memory.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        command_sets: Sequence[CommandSet] | None = None,
        adapters: Iterable[ChatAdapter] = (),
        responders: Iterable[Responder] = (),
        dedupe: DedupeStore | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.dedupe: DedupeStore = dedupe if dedupe is not None else MemoryDedupeStore()
        if command_sets is None:
            command_sets = [*BUILTIN_COMMAND_SETS, *load_modules(self.settings.command_modules)]
            if self.settings.load_entry_points:
                command_sets.extend(load_entry_points())
        self.registry = Registry(command_sets)
        self.adapters = {adapter.platform: adapter for adapter in adapters}
        self.outbox = Outbox()
        all_responders: dict[str, Responder] = {
            platform: LocalResponder(platform, self.outbox) for platform in LOCAL_PLATFORMS
        }
        all_responders.update(self.adapters)
        all_responders.update({responder.platform: responder for responder in responders})
        self.parser = self.settings.parser
        self.roles = Roles(self.registry, self.parser, all_responders, source=self.settings.source,
                           rate_limit_wait_seconds=self.settings.rate_limit_wait_seconds)

    @classmethod
    def from_env(cls, **kwargs: object) -> Bot:
        """A bot configured from BOTLESS_* environment variables."""
        return cls(Settings.from_env(), **kwargs)  # type: ignore[arg-type]

    def broker(self, topology: str | None = None, wiring: str = "broker") -> Broker:
        """An embedded bus wired for `topology` (mono: one subscriber; pipeline: one per role).

        `wiring` "broker" is Knative's Broker and Triggers (core/bus.py); "channels" the
        seed's Channels and Subscriptions with replies (core/channel_bus.py). Both answer the same.
        """
        # The embedded bus is imported here: a cloud function's cold start never needs it.
        from core.bus import Broker, role_triggers
        from core.channels import WIRINGS

        topology = topology or self.settings.topology
        if topology not in TOPOLOGIES:
            raise ValueError(f"unknown topology {topology!r}: choose one of {', '.join(TOPOLOGIES)}")
        if wiring not in WIRINGS:
            raise ValueError(f"unknown wiring {wiring!r}: choose one of {', '.join(WIRINGS)}")
        if wiring == "channels":
            from core.channel_bus import ChannelBus

            return ChannelBus(topology, self.roles.subscriber, max_hops=self.settings.max_hops,
                              retries=self.settings.delivery_retries)
        return Broker(role_triggers(roles_of(topology), self.roles.subscriber),
                      max_hops=self.settings.max_hops, retries=self.settings.delivery_retries)
