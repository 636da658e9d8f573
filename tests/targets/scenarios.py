"""The chat scenarios every target must pass.

Each scenario builds a signed platform request (Slack's v0 HMAC, Discord's Ed25519),
posts it to a target's HTTP-facing entrypoint through its driver (tests/targets/driver.py),
waits until the target is quiet and compares what reached the stand-in Slack/Discord API
with the same expectation on every target and topology, and the functions it invoked
(the driver's count, `role <- trigger` each) with what the scenario declares per topology.

The stand-in platform API is tests/targets/stand_in_api.py, the signed requests
tests/targets/signed_requests.py; both are re-exported here, where the target tests
import them from.
"""


from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.bot import Bot
from core.dedupe import DedupeStore
from core.settings import Settings
from providers.app_factory import build_bot
from tests.targets.driver import BUS, WEBHOOK, TargetDriver, invocation
from tests.targets.signed_requests import (
    DISCORD_APPLICATION_ID,
    DISCORD_KEY,
    SLACK_SIGNING_SECRET,
    discord_interaction,
    slack_message,
    slack_signed,
    slack_slash_command,
)
from tests.targets.stand_in_api import Call, RateLimit, StandInPlatformApi, stand_in_platform_api

# The stand-in and the signed requests are re-exported: the target tests import them from here.
__all__ = [
    "DEFINE_CRD", "DISCORD_APPLICATION_ID", "DISCORD_KEY", "DISCORD_RATE_LIMIT", "NO_COMMAND", "SCENARIOS",
    "SLACK_RATE_LIMIT", "SLACK_SIGNING_SECRET", "UPTIME", "WEBHOOK_ONLY", "WHOLE_CHAIN", "Call", "Expected",
    "RateLimit", "Scenario", "StandInPlatformApi", "answer_text", "bot_for", "discord_interaction", "run_scenario",
    "slack_message", "slack_signed", "slack_slash_command", "stand_in_platform_api",
]


def bot_for(env: Mapping[str, str], dedupe: DedupeStore | None = None) -> Bot:
    """A bot built the way every target builds it, from `env` instead of os.environ."""
    return build_bot(Settings.from_env(dict(env)), dedupe=dedupe)


# -- scenarios ---------------------------------------------------------------------------

DEFINE_CRD = ("*CRD* stands for Custom Resource Definition: A Kubernetes API object that adds a new "
              "resource type to the cluster, so that operators and controllers can manage it like a "
              "built-in one.")
UPTIME = re.compile(r"I have been up for \d+ (day|hour|minute|second)s?\.")


@dataclass(frozen=True)
class Expected:
    """A call the stand-in must receive: its path and the reply text in its body."""

    path: str
    text: str | re.Pattern[str]
    body_key: str = "text"

    def matches(self, call: Call) -> bool:
        if call.path != self.path or not isinstance(call.body, dict):
            return False
        text = str(call.body.get(self.body_key, ""))
        return bool(self.text.fullmatch(text)) if isinstance(self.text, re.Pattern) else text == self.text


@dataclass(frozen=True)
class RateLimit:
    """A platform's 429 as it documents it: the stand-in answers the next call under `prefix` so."""

    prefix: str
    body: Any
    headers: tuple[tuple[str, str], ...] = ()


# Slack's Web API (https://api.slack.com/apis/rate-limits) and Discord's
# (https://discord.com/developers/docs/topics/rate-limits), each with a wait that fits
# respond's budget: the reply is sent again in the same invocation, once.
SLACK_RATE_LIMIT = RateLimit("/slack/api/", {"ok": False, "error": "ratelimited"}, (("Retry-After", "1"),))
DISCORD_RATE_LIMIT = RateLimit("/discord/api/webhooks/", {"message": "You are being rate limited.",
                                                         "retry_after": 0.4, "global": False},
                               (("Retry-After", "1"), ("X-RateLimit-Scope", "user")))


@dataclass(frozen=True)
class Scenario:
    """One chat exchange: the request, the HTTP answer and the replies at the platform API."""

    name: str
    path: str
    request: Callable[[str, str], tuple[dict[str, str], bytes]]  # (stand-in URL, unique id)
    status: int
    replies: Callable[[str], list[Expected]] = field(default=lambda unique: [])
    answer: Callable[[bytes], bool] = field(default=lambda body: True)
    # On mono, a platform that takes the reply in its answer gets it there (one invocation,
    # no API call): the answer must pass this check and the stand-in sees no reply.
    mono_answer: Callable[[bytes], bool] | None = None
    # The functions it invokes, per topology, on every target (order aside).
    invocations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The platform answers the reply's first call with this 429 (the refused call is among `replies`).
    rate_limit: RateLimit | None = None


# Mono runs the whole chain in the webhook's invocation (a fast command defers nothing);
# the pipeline invokes each role once, handing on through its bus.
MONO = (invocation("mono", WEBHOOK),)
WEBHOOK_ONLY = {"mono": MONO, "pipeline": (invocation("receive", WEBHOOK),)}  # refused at the door
WHOLE_CHAIN = {"mono": MONO, "pipeline": (invocation("receive", WEBHOOK), invocation("parse", BUS),
                                          invocation("command", BUS), invocation("respond", BUS))}
# An unknown command: parse answers it itself ("Did you mean"), so no command role runs.
NO_COMMAND = {"mono": MONO, "pipeline": (invocation("receive", WEBHOOK), invocation("parse", BUS),
                                         invocation("respond", BUS))}


def answer_text(key: str, text: str | re.Pattern[str]) -> Callable[[bytes], bool]:
    """A check that the JSON answer's `key` path (dots) holds `text`."""
    def check(body: bytes) -> bool:
        value: Any = json.loads(body) if body else {}
        for part in key.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return bool(text.fullmatch(str(value))) if isinstance(text, re.Pattern) else value == text
    return check


SCENARIOS = [
    Scenario(
        "slack-slash-uptime", "/slack/events",
        lambda url, unique: slack_slash_command(url, "/uptime", "", trigger=unique),
        200,
        lambda unique: [Expected(f"/slack/response/T111/{unique}/xxxxx", UPTIME)],
        mono_answer=answer_text("text", UPTIME),
        invocations=WHOLE_CHAIN,
    ),
    Scenario(
        "slack-message-define", "/slack/events",
        lambda url, unique: slack_message("/define crd", event_id=f"Ev{unique}", ts=f"{unique}.0001"),
        200,
        lambda unique: [Expected("/slack/api/chat.postMessage", DEFINE_CRD)],
        invocations=WHOLE_CHAIN,
    ),
    Scenario(
        "discord-define", "/discord/interactions",
        lambda url, unique: discord_interaction("define", [{"type": 3, "name": "term", "value": "crd"}],
                                                interaction_id=unique, token=f"tok{unique}"),
        200,
        lambda unique: [Expected(f"/discord/api/webhooks/{DISCORD_APPLICATION_ID}/tok{unique}", DEFINE_CRD,
                                 body_key="content")],
        answer=lambda body: json.loads(body) == {"type": 5},
        mono_answer=lambda body: json.loads(body)["type"] == 4 and answer_text("data.content", DEFINE_CRD)(body),
        invocations=WHOLE_CHAIN,
    ),
    Scenario(
        "slack-unknown-command", "/slack/events",
        lambda url, unique: slack_message("/uptme", event_id=f"Ev{unique}", ts=f"{unique}.0002"),
        200,
        lambda unique: [Expected("/slack/api/chat.postMessage", "I don't know `/uptme`. Did you mean `uptime`?")],
        invocations=NO_COMMAND,
    ),
    Scenario(
        "slack-message-rate-limited", "/slack/events",
        lambda url, unique: slack_message("/define crd", event_id=f"Ev{unique}", ts=f"{unique}.0003"),
        200,
        lambda unique: [Expected("/slack/api/chat.postMessage", DEFINE_CRD)] * 2,  # refused, then posted once
        invocations=WHOLE_CHAIN,
        rate_limit=SLACK_RATE_LIMIT,
    ),
    Scenario(
        "discord-define-rate-limited", "/discord/interactions",
        lambda url, unique: discord_interaction("define", [{"type": 3, "name": "term", "value": "crd"}],
                                                interaction_id=unique, token=f"tok{unique}"),
        200,
        lambda unique: [Expected(f"/discord/api/webhooks/{DISCORD_APPLICATION_ID}/tok{unique}", DEFINE_CRD,
                                 body_key="content")] * 2,
        answer=lambda body: json.loads(body) == {"type": 5},
        # On mono the reply is the interaction's answer: no follow-up, so no rate limit to meet.
        mono_answer=lambda body: json.loads(body)["type"] == 4 and answer_text("data.content", DEFINE_CRD)(body),
        invocations=WHOLE_CHAIN,
        rate_limit=DISCORD_RATE_LIMIT,
    ),
    Scenario(
        "slack-forged-signature", "/slack/events",
        lambda url, unique: slack_slash_command(url, "/uptime", "", trigger=unique, secret="not-the-secret"),
        401,
        invocations=WEBHOOK_ONLY,
    ),
]


async def run_scenario(driver: TargetDriver, stand_in: StandInPlatformApi, scenario: Scenario,
                       unique: str) -> list[Call]:
    """Play `scenario` on `driver`; assert the HTTP answer, the replies and the invocations; return the calls."""
    stand_in.reset()
    driver.reset_invocations()
    if scenario.rate_limit is not None:
        stand_in.rate_limit_next(scenario.rate_limit)
    headers, body = scenario.request(stand_in.url, unique)
    result = await driver.post(scenario.path, headers, body)
    await driver.settle()  # first: a failed check must leave no work behind for the next scenario
    assert result.status == scenario.status, (scenario.name, result.status, result.body[:300])
    in_ack = driver.topology == "mono" and scenario.mono_answer is not None
    check = scenario.mono_answer if in_ack and scenario.mono_answer else scenario.answer
    assert check(result.body), (scenario.name, result.body[:300], driver.invoked())
    expected = [] if in_ack else scenario.replies(unique)
    calls = stand_in.wait_for(len(expected), timeout=10.0 if expected else 0.0)
    assert len(calls) == len(expected), (scenario.name, calls)
    for want, got in zip(expected, calls, strict=True):
        assert want.matches(got), (scenario.name, want, got)
    assert driver.topology in scenario.invocations, f"{scenario.name} declares no invocations on {driver.topology}"
    invoked = sorted(driver.invoked())
    assert invoked == sorted(scenario.invocations[driver.topology]), (scenario.name, driver.target, invoked)
    return calls
