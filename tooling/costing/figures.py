"""What a measurement of one entrypoint's role yields, and the chat-message mix it ran."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Caused:
    """What one invocation of a role caused beyond its own run, counted (tooling/costing/counting.py).

    The store figures (on core/dedupe.py's protocol) and the log lines are per invocation;
    the secrets are per cold start (an instance's init), except `secret_references`, which
    App Service re-fetches once a day per function app (azure).
    """

    claims: float = 0.0
    fresh_claims: float = 0.0
    confirms: float = 0.0
    releases: float = 0.0
    lookups: float = 0.0
    key_bytes: int = 0  # the longest key claimed
    deferrals: float = 0.0  # each a second invocation of the function
    secret_calls: float = 0.0  # per cold start: SSM API calls, Secret Manager accesses
    secret_values: float = 0.0  # per cold start: SecureStrings SSM decrypts with KMS
    secret_references: float = 0.0
    log_lines: float = 0.0  # of the "botless" logger, at the level the target keeps
    log_bytes: float = 0.0  # as shipped (JSON lines, UTF-8), before the log service's own prefix

    @classmethod
    def from_counts(cls, counted: dict[str, int], invocations: int, secrets: dict[str, float]) -> Caused:
        """Per-invocation figures from a worker's totals over `invocations`."""
        def per(name: str) -> float:
            return counted[name] / invocations

        return cls(claims=per("claims"), fresh_claims=per("fresh"), confirms=per("confirms"),
                   releases=per("releases"), lookups=per("lookups"), key_bytes=counted["key_bytes"],
                   deferrals=per("deferrals"), secret_calls=secrets["calls_per_cold_start"],
                   secret_values=secrets["secure_strings_per_cold_start"],
                   secret_references=secrets["references"], log_lines=per("log_lines"),
                   log_bytes=per("log_bytes"))


@dataclass(frozen=True)
class RoleFigures:
    """One role (or mono) of one entrypoint, measured on this machine."""

    entrypoint: str  # aws-lambda | gcf | azure | knative
    role: str  # receive | parse | command | respond | mono
    invocations: int
    warm_mean_ms: float
    warm_median_ms: float
    warm_p99_ms: float
    cold_start_ms: float  # fresh process: import of the entrypoint plus its first invocation
    cold_import_ms: float
    peak_rss_mb: float
    published_bytes: float = 0.0  # mean size of one event this role put on the bus
    caused: Caused = field(default_factory=Caused)  # store calls, deferrals, secret reads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(durations_ms: Sequence[float]) -> tuple[float, float, float]:
    """Mean, median and p99 (nearest rank) of per-invocation durations."""
    if not durations_ms:
        raise ValueError("no invocations were measured")
    ordered = sorted(durations_ms)
    rank = max(1, -(-len(ordered) * 99 // 100))  # ceil(0.99 n), nearest-rank definition
    return statistics.fmean(ordered), statistics.median(ordered), ordered[rank - 1]


@dataclass(frozen=True)
class MessageMix:
    """How far a typical chat message travels: the shares that reach command and respond.

    Every message is received and parsed; only commands reach `command`; commands and
    unknown commands get a reply. A bot in a channel hears mostly chatter.
    """

    texts: tuple[str, ...]
    command_share: float
    reply_share: float

    def events_per_message(self) -> float:
        """Bus events a pipeline publishes per chat message (message, command, response)."""
        return 1.0 + self.command_share + self.reply_share


# Ten messages as a bot in a team channel sees them: six commands, one typo, three chatter.
DEFAULT_TEXTS = ("/uptime", "/define crd", "/flip hello", "/hash md5 hello", "/help", "/define knative",
                 "/uptme", "good morning all", "is the deploy done?", "lunch?")
DEFAULT_MIX = MessageMix(texts=DEFAULT_TEXTS, command_share=0.6, reply_share=0.7)


def mix_from_texts(texts: Sequence[str], bot: Any) -> MessageMix:
    """The mix of `texts` with its shares worked out by the bot's own parser and registry."""
    import asyncio

    from core import events as ev

    async def outcomes() -> tuple[int, int]:
        commands = replies = 0
        for text in texts:
            message = ev.ChatMessage(platform="console", text=text, user=ev.ChatUser("u"))
            for produced in await bot.roles.parse(ev.chat_message_event(message, source="/cost")) or []:
                commands += produced["type"].startswith(ev.COMMAND_PREFIX)
                replies += 1  # a command is answered (or fails into an error reply), a typo gets a hint
        return commands, replies

    if not texts:
        raise ValueError("the message mix is empty")
    commands, replies = asyncio.run(outcomes())
    return MessageMix(tuple(texts), commands / len(texts), replies / len(texts))
