"""What a Cloud Functions deployment needs from the environment, checked at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core import events as ev
from core.role_table import PUBLISHING_ROLES, TARGET_ROLES
from providers.runtime import ConfigurationError, PublishError, publish_timeout_from_env


@dataclass(frozen=True)
class GcpConfig:
    """Project, one topic per event family, the mono deferral topic and its push token."""

    project: str = ""
    chat_message_topic: str = "botless-chat-message"
    bot_command_topic: str = "botless-bot-command"
    bot_response_topic: str = "botless-bot-response"
    deferred_topic: str = "botless-deferred"
    defer_token: str = ""
    publish_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GcpConfig:
        """Read BOTLESS_GCP_* / BOTLESS_PUBSUB_* (the project falls back to GOOGLE_CLOUD_PROJECT)."""
        return cls(
            project=env.get("BOTLESS_GCP_PROJECT") or env.get("GOOGLE_CLOUD_PROJECT", ""),
            chat_message_topic=env.get("BOTLESS_PUBSUB_TOPIC_CHAT_MESSAGE") or cls.chat_message_topic,
            bot_command_topic=env.get("BOTLESS_PUBSUB_TOPIC_BOT_COMMAND") or cls.bot_command_topic,
            bot_response_topic=env.get("BOTLESS_PUBSUB_TOPIC_BOT_RESPONSE") or cls.bot_response_topic,
            deferred_topic=env.get("BOTLESS_PUBSUB_TOPIC_DEFERRED") or cls.deferred_topic,
            defer_token=env.get("BOTLESS_DEFER_TOKEN", ""),
            publish_timeout=publish_timeout_from_env(env),
        )

    def check(self, role: str) -> None:
        """ConfigurationError, naming the variable to set, when `role` cannot run with this."""
        if role not in TARGET_ROLES:
            raise ConfigurationError(f"unknown Cloud Functions role {role!r}: choose one of {', '.join(TARGET_ROLES)}")
        if role in PUBLISHING_ROLES and not self.project:  # mono publishes only to defer its slow work
            raise ConfigurationError(
                f"the {role} function publishes to Pub/Sub and needs a project: set BOTLESS_GCP_PROJECT "
                "(or GOOGLE_CLOUD_PROJECT)"
            )
        if role == "mono" and not self.defer_token:
            raise ConfigurationError(
                "the mono function defers slow work through Pub/Sub topic "
                f"{self.deferred_topic!r}, pushed back to <function URL>/_botless/deferred?token=...; "
                "set BOTLESS_DEFER_TOKEN to that token (any long random string)"
            )

    def topic_for(self, event_type: str) -> str:
        """The topic of the family `event_type` belongs to (PublishError for foreign types)."""
        if event_type == ev.CHAT_MESSAGE:
            return self.chat_message_topic
        if event_type.startswith(ev.COMMAND_PREFIX):
            return self.bot_command_topic
        if event_type == ev.BOT_RESPONSE:
            return self.bot_response_topic
        raise PublishError(f"no Pub/Sub topic for event type {event_type!r}: Botless publishes only its own types")
