"""The mono topology on a serverless target: all four roles in one invocation, or deferred.

A FaaS instance may be frozen as soon as it has answered, so work that cannot finish
before the platform's ack deadline is handed to the target's own asynchronous
mechanism (a `Deferrer`) and continued by a later invocation of the same function.
`MonoChain` has three doors, one per way an event arrives:

- `defer`: the platform wants its ack first (`Received.deferred`, e.g. a Slack slash
  command or a Discord interaction). The event goes to the deferrer before the answer,
  so a refused hand-off is an HTTP error the platform retries, never a lost message.
- `run`: the platform waits for the answer. The chain (core/roles.py's Roles.mono, the
  one loop of every topology) runs here, its command step guarded: a slow command
  (declared `slow=True`, or one that already overran the budget in this process) is
  deferred before it starts; any other runs under the budget
  (`BOTLESS_SLOW_COMMAND_SECONDS`) and is deferred if it overruns it. A reply the
  platform rate-limits past respond's wait budget is deferred too (only the reply,
  `RateLimited.pending`), and a reply it refuses for good is logged dead-lettered:
  either way the webhook is answered 2xx, since failing it would make the platform
  retry the whole message (the chain again, or a retry storm on a permanent refusal).
- `resume`: the later invocation the deferrer caused runs the whole chain, with no
  budget, and never defers again (so deferral cannot loop). It came through a bus,
  so it is claimed in the bot's dedupe store first: a redelivery of a handled event is
  skipped, and one that comes while another invocation still holds the lease raises
  InFlightError, which the target answers so that its bus retries it later.
"""

from __future__ import annotations

import asyncio
import time

from cloudevents.http import CloudEvent

from core import events as ev
from core.bot import Bot
from core.chat.base import PermanentDeliveryError, RateLimited
from core.chat.rate_limits import waiting_up_to
from core.logs import log_event
from core.roles import CHAIN_ROLE, Step
from providers.runtime import ConfigurationError, Deferrer, run_role


class MonoChain:
    """One bot's mono chain with a deferrer; see the module docstring for the three doors."""

    def __init__(self, bot: Bot, deferrer: Deferrer | None, *, target: str,
                 budget_seconds: float | None = None) -> None:
        if deferrer is None:
            raise ConfigurationError(
                f"the mono topology on {target} needs a way to defer slow work, and none is "
                "configured; see docs/targets.md for the setting this target needs"
            )
        self.bot = bot
        self.deferrer = deferrer
        self.target = target
        self.budget = bot.settings.slow_command_seconds if budget_seconds is None else budget_seconds
        # Commands that overran the budget in this process: deferred before they start next time.
        self.learned_slow: set[str] = set()

    async def defer(self, event: CloudEvent) -> None:
        """Hand `event` to the target's asynchronous mechanism (PublishError when refused)."""
        await self.deferrer.defer(event)
        log_event(event, CHAIN_ROLE, 0.0, "ok", deferred=True, target=self.target)

    async def run(self, event: CloudEvent) -> None:
        """Run the chain for `event` now, deferring a slow command instead of running it."""
        # A webhook's event: its adapter deduplicated the delivery, so no claim here.
        try:
            # A platform's rate limit is waited for only within the ack budget here: the
            # webhook's answer waits for this chain (the resumed invocation has a fresh budget).
            with waiting_up_to(self.budget):
                await run_role(self.bot, CHAIN_ROLE, event, None, deduplicate=False, guard=self._within_budget)
        except RateLimited as limited:
            if limited.pending is None:
                raise
            # The deferred invocation waits with a fresh budget; past that, its bus retries later.
            log_event(limited.pending, CHAIN_ROLE, 0.0, "rate-limited", retry_after=limited.retry_after,
                      target=self.target)
            await self.defer(limited.pending)
        except PermanentDeliveryError as refused:
            log_event(event, CHAIN_ROLE, 0.0, "dead-lettered", code=refused.code, target=self.target,
                      reason=str(refused))

    async def resume(self, event: CloudEvent) -> None:
        """Continue a deferred event: the whole chain, no budget, no further deferral.

        Raises InFlightError for a redelivery whose claim is another invocation's running lease.
        """
        await run_role(self.bot, CHAIN_ROLE, event, None)

    def is_slow(self, event: CloudEvent) -> bool:
        """True when the command of `event` is declared slow or overran the budget before."""
        name = event["type"][len(ev.COMMAND_PREFIX):]
        spec = self.bot.registry.find(name)
        return name in self.learned_slow or (spec is not None and spec.slow)

    async def _within_budget(self, role: str, event: CloudEvent, step: Step) -> list[CloudEvent]:
        # The chain's guard (core/roles.py's StepGuard): only a command can be slow.
        if role != "command":
            return await step(event)
        if self.is_slow(event):
            await self.defer(event)
            return []
        name = event["type"][len(ev.COMMAND_PREFIX):]
        started = time.perf_counter()
        try:
            if self.budget <= 0:
                # No budget (BOTLESS_SLOW_COMMAND_SECONDS=0): every command is past it before it
                # starts. asyncio.timeout(0) would only cancel at the step's first await.
                raise TimeoutError
            # In this task (asyncio.timeout), not wait_for's task of its own: no extra loop turns.
            async with asyncio.timeout(self.budget):
                replies = await step(event)
        except TimeoutError:
            # The command is cancelled and runs again, whole, in the deferred invocation:
            # commands are at-least-once on every bus, so they must be safe to repeat.
            self.learned_slow.add(name)
            await self.defer(event)
            return []
        if time.perf_counter() - started > self.budget:
            # A blocking (sync) handler cannot be interrupted; its result stands, but
            # next time it is deferred before it starts.
            self.learned_slow.add(name)
        return replies
