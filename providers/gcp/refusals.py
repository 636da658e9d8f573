"""What a function answers Pub/Sub when the platform refused a reply (issue 14).

- RateLimited (a 429 the respond step could not wait out within its budget): the push is
  not acknowledged (429, `Retry-After` in whole seconds), so Pub/Sub redelivers it with the
  subscription's retry policy, an exponential backoff from 10 s to 600 s (infra/gcf: the
  deferred push subscription's `retry_policy`; Eventarc's RETRY_POLICY_RETRY triggers).
  run_role gave the event's claim back, so the redelivery runs and the reply is posted
  once. Pub/Sub has no per-message delay: a Retry-After longer than the current backoff
  meets the limit again (one refused call) and the backoff grows.
- PermanentDeliveryError (a 4xx other than 429, or no responder for the platform): the
  push is acknowledged, never retried, and logged `dead-lettered` with the platform's
  code. infra/gcf has no dead-letter topic (Eventarc manages its triggers' subscriptions,
  and a message that cannot be delivered is not worth replaying), so that log line, one
  JSON object in Cloud Logging, is the dead letter.
"""

from __future__ import annotations

import math

from cloudevents.http import CloudEvent

from core.chat.base import PermanentDeliveryError, RateLimited
from core.logs import log_event


def retry_after(limited: RateLimited) -> int:
    """The `Retry-After` of a rate-limited delivery: whole seconds, rounded up."""
    return math.ceil(limited.retry_after)


def log_rate_limited(event: CloudEvent, role: str, limited: RateLimited, **fields: object) -> None:
    """One line: this delivery goes back to Pub/Sub, to be redelivered after its backoff."""
    log_event(event, role, 0.0, "rate-limited", target="gcf", retry_after=retry_after(limited),
              reason=str(limited), **fields)


def log_dead_lettered(event: CloudEvent, role: str, refused: PermanentDeliveryError) -> None:
    """The dead letter: one line with the platform's code (the delivery is then acknowledged)."""
    log_event(event, role, 0.0, "dead-lettered", target="gcf", code=refused.code, reason=str(refused))
