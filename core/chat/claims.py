"""One claim per delivery: how a webhook tells a platform's first delivery from its copies."""

from __future__ import annotations

from core.dedupe import DedupeStore, claim


async def first_delivery(store: DedupeStore, key: str, ttl_seconds: float) -> bool:
    """True for the first delivery of `key` (now claimed), False for any later copy.

    `key` names the message, not the delivery: every copy of one message (a platform's
    retry, a replay, Slack's `message` + `app_mention` twins of one post) must map to the
    same key, which is claimed with one conditional put. One put is atomic on every
    store, so of copies racing in any order exactly one is fresh; claiming two keys one
    after the other is not (each racer can take one and find the other taken).
    Only the store decides: an unsigned header (a retry reason) never overrides it. A
    delivery Botless answers with an error releases its claim
    (`Received.on_publish_failure`), which is how its retry is taken.
    """
    # Claimed for the full time at once, not as a lease like a bus event's claim
    # (providers.runtime.run_role). What follows this claim is short: a publish, a
    # deferral, or in mono the chain under its slow-command budget, and a failed
    # hand-off releases the claim. A lease would cost every webhook a second store
    # write inside Slack's 3 s, and would rarely help: it must outlast the function's
    # timeout, while Slack retries at once, after 1 and after 5 minutes.
    return await claim(store, key, ttl_seconds)
