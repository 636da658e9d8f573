"""What an Azure Functions app needs from the environment, checked when it is indexed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.role_table import PUBLISHING_ROLES, TARGET_ROLES, roles_of
from core.settings import TOPOLOGIES
from providers.runtime import ConfigurationError, publish_timeout_from_env

# The roles an app hosts in each topology, when BOTLESS_ROLE does not name one.
TOPOLOGY_ROLES = {topology: roles_of(topology) for topology in TOPOLOGIES}


@dataclass(frozen=True)
class AzureConfig:
    """The Event Grid topic (endpoint and key) and which roles this app hosts."""

    endpoint: str = ""
    key: str = field(default="", repr=False)
    roles: tuple[str, ...] = ("mono",)
    publish_timeout: float = 10.0
    warmup: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str], topology: str = "mono") -> AzureConfig:
        """Read BOTLESS_EVENTGRID_ENDPOINT / _KEY, BOTLESS_ROLE (one role) or the topology's roles."""
        role = env.get("BOTLESS_ROLE", "")
        if role and role not in TARGET_ROLES:
            raise ConfigurationError(f"BOTLESS_ROLE={role!r}: choose one of {', '.join(TARGET_ROLES)}")
        return cls(
            endpoint=env.get("BOTLESS_EVENTGRID_ENDPOINT", "").strip(),
            key=env.get("BOTLESS_EVENTGRID_KEY", "").strip(),
            roles=(role,) if role else TOPOLOGY_ROLES[topology],
            publish_timeout=publish_timeout_from_env(env),
            warmup=env.get("BOTLESS_AZURE_WARMUP", "") in ("1", "true", "yes"),
        )

    def check(self) -> None:
        """ConfigurationError, naming the setting, when a hosted role cannot run."""
        # mono sends to Event Grid only to defer its slow work.
        publishing = [role for role in self.roles if role in PUBLISHING_ROLES]
        if not publishing:
            return
        why = "defers slow work to Event Grid" if publishing == ["mono"] else "publishes to Event Grid"
        if not self.endpoint.startswith(("https://", "http://")):
            raise ConfigurationError(
                f"the {', '.join(publishing)} function {why} and needs the topic's endpoint: set "
                "BOTLESS_EVENTGRID_ENDPOINT (https://<topic>.<region>-1.eventgrid.azure.net/api/events)"
            )
        if not self.key:
            raise ConfigurationError(
                f"the {', '.join(publishing)} function {why} and needs the topic's access key: "
                "set BOTLESS_EVENTGRID_KEY"
            )
