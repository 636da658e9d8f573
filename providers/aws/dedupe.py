"""The dedupe store on AWS: a DynamoDB conditional PutItem (`BOTLESS_DEDUPE_TABLE`).

The table's hash key is the string `key`; `expires` (epoch seconds) is its TTL attribute.
DynamoDB deletes expired items lazily (within a day or two), so the condition also accepts
an item whose `expires` has passed. A confirm is an unconditional PutItem, a release a
DeleteItem. The `state` attribute says whether the claim is a lease (`lease`, from a claim)
or confirmed (`done`); `is_confirmed` reads it with a consistent GetItem. The calls are
DynamoDB's JSON API through providers/aws/json_api.py (no boto3 on a message's path: its
import, client and per-call overhead cost more than the rest of a warm message). A claim's
`owner` is a token new for each claim: the client resends a PutItem whose answer was lost,
and the resend, refused by the item the first attempt wrote, gets that item back (ALL_OLD)
and knows it for its own. When the client gives up instead (every attempt's answer lost,
timed out, or a 5xx), the PutItem may still have landed, and a raise would leave its lease
to refuse the platform's retry as a duplicate, so the message would never be answered: the
claim reads the item back (a consistent GetItem) and is fresh when the owner is its own;
otherwise (absent, another's, or the read fails too) the error is raised.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from providers.aws.json_api import AwsApiError, AwsJsonApi, AwsUnreachableError
from providers.shared_store import shared_dedupe

SETTING = "BOTLESS_DEDUPE_TABLE"
# The `state` of a claim: a lease while its role runs, done once it is confirmed.
LEASE = "lease"
DONE = "done"


class DynamoDedupeStore:
    """A DedupeStore shared by every instance of every function: one item per key."""

    blocking = True  # a network call: core.dedupe.claim runs it in a thread

    def __init__(self, table: str, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self._clock = clock
        self._api = AwsJsonApi("dynamodb", "DynamoDB_20120810", "application/x-amz-json-1.0")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DynamoDedupeStore | None:
        """The store for `BOTLESS_DEDUPE_TABLE`, or None when it is not set."""
        table = env.get(SETTING, "").strip()
        return cls(table) if table else None

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        """True when `key` is new or expired (and is now claimed); False when it is taken."""
        now = self._clock()
        owner = uuid.uuid4().hex  # made once per claim, before the client's resends
        try:
            self._api.call("PutItem", {
                "TableName": self.table,
                "Item": {"key": {"S": key}, "expires": {"N": str(int(now + ttl_seconds))}, "state": {"S": LEASE},
                         "owner": {"S": owner}},
                "ConditionExpression": "attribute_not_exists(#key) OR #expires <= :now",
                "ExpressionAttributeNames": {"#key": "key", "#expires": "expires"},
                "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
                # The refusing item, read in the same atomic step: no second request, no race.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            })
        except AwsApiError as error:
            if error.code == "ConditionalCheckFailedException":
                # Refused by our own first attempt (its answer lost, the client resent it): fresh.
                held = error.answer.get("Item") or {}
                return bool(held.get("owner", {}).get("S") == owner)
            if self._owned_by(key, owner):
                return True
            raise
        except AwsUnreachableError:
            if self._owned_by(key, owner):
                return True
            raise
        return True

    def _owned_by(self, key: str, owner: str) -> bool:
        """True when the item of `key` holds `owner`; False when it does not, or cannot be read."""
        # Every attempt's answer was lost (or refused) and the client gave up, but a PutItem
        # may have landed: raising would leave its lease to refuse the platform's retry as
        # a duplicate. Only this claim writes `owner`, so finding it means the claim is ours.
        try:
            item = self._get(key) or {}
        except Exception:  # the caller raises the claim's own error instead
            return False
        return bool(item.get("owner", {}).get("S") == owner)

    def release(self, key: str) -> None:
        """Forget `key`, so the platform's retry of a delivery the bus refused is taken."""
        self._api.call("DeleteItem", {"TableName": self.table, "Key": {"key": {"S": key}}})

    def confirm(self, key: str, ttl_seconds: float) -> None:
        """Hold `key` for `ttl_seconds` from now, whatever its claim was (a lease, expired, none)."""
        expires = int(self._clock() + ttl_seconds)
        # No owner: only the claim that wrote one reads it, before it returns, and a
        # confirm only ever follows a claim that has returned.
        self._api.call("PutItem", {"TableName": self.table, "Item": {
            "key": {"S": key}, "expires": {"N": str(expires)}, "state": {"S": DONE}}})

    def is_confirmed(self, key: str) -> bool:
        """True when `key` holds an unexpired confirmed claim; False for a lease, or nothing."""
        item = self._get(key)
        if item is None or float(item["expires"]["N"]) <= self._clock():
            return False
        return bool(item.get("state", {}).get("S") == DONE)

    def _get(self, key: str) -> dict[str, Any] | None:
        """The item of `key`, read consistently; None when there is none."""
        item: dict[str, Any] | None = self._api.call(
            "GetItem", {"TableName": self.table, "Key": {"key": {"S": key}}, "ConsistentRead": True}).get("Item")
        return item


def store_from_env(env: Mapping[str, str]) -> DynamoDedupeStore | None:
    """The DynamoDB store when `BOTLESS_DEDUPE_TABLE` is set; else None, with a start-up warning."""
    return shared_dedupe(env, SETTING, "aws-lambda", DynamoDedupeStore.from_env)
