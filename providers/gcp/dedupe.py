"""The dedupe store on Cloud Functions: Firestore, one document per claim (`BOTLESS_FIRESTORE_COLLECTION`).

A claim is `document.create()`, which fails with AlreadyExists when the document is there.
Firestore's TTL policy (infra/gcf sets one on the `expires` field) deletes expired
documents only eventually, within a day or so, so a document whose `expires` has passed
is taken over in a transaction instead. A confirm is `set()` (an unconditional write),
a release `delete()`. The `state` field says whether the claim is a lease (`lease`) or
confirmed (`done`); `is_confirmed` reads the document. The client (and `google.cloud.firestore`) is
created on first use; it honours FIRESTORE_EMULATOR_HOST. A claim's `owner` is a token
new for each claim: google-api-core resends a Commit whose answer was lost, the resend
fails with AlreadyExists on the document the first attempt created, and the take-over's
read knows that document for its own. When every resend's answer is lost too, the client
gives up (ServiceUnavailable, DeadlineExceeded, RetryError) though a Commit may have
landed, and a raise would leave its lease to refuse the platform's retry as a duplicate,
so the message would never be answered: the claim reads the document back and is fresh
when the owner is its own; otherwise (absent, another's, or the read fails too) the error
is raised. The resends are bounded by the store's timeout (the Commit's default retry
goes on for up to 60 s, while Slack and Discord wait 3 s).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from core.dedupe import storage_key
from providers.shared_store import shared_dedupe

SETTING = "BOTLESS_FIRESTORE_COLLECTION"
# Webhook claims happen while Slack and Discord wait (3 s): fail fast, the platform retries.
TIMEOUT_SECONDS = 2.0
# The `state` of a claim: a lease while its role runs, done once it is confirmed.
LEASE = "lease"
DONE = "done"


class FirestoreDedupeStore:
    """A DedupeStore shared by every instance of every function: one document per key."""

    blocking = True  # a network call: core.dedupe.claim runs it in a thread

    def __init__(self, collection: str, project: str = "", *, database: str = "(default)",
                 timeout: float = TIMEOUT_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.collection = collection
        self.project = project
        self.database = database
        self.timeout = timeout
        self._clock = clock
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FirestoreDedupeStore | None:
        """The store for `BOTLESS_FIRESTORE_COLLECTION` in the project of BOTLESS_GCP_PROJECT
        (or GOOGLE_CLOUD_PROJECT); None when no collection is set."""
        collection = env.get(SETTING, "").strip()
        if not collection:
            return None
        project = env.get("BOTLESS_GCP_PROJECT") or env.get("GOOGLE_CLOUD_PROJECT", "")
        return cls(collection, project)

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        """True when `key` is new or expired (and is now claimed); False when it is taken."""
        from google.api_core.exceptions import AlreadyExists, GoogleAPIError

        now = self._clock()
        document = self._document(key)
        # The owner is made once per claim, before any resend of the Commit.
        fields = {"key": key, "expires": _timestamp(now + ttl_seconds), "state": LEASE, "owner": uuid.uuid4().hex}
        try:
            try:
                document.create(fields, retry=self._retry(), timeout=self.timeout)
                return True
            except AlreadyExists:
                return self._take_over_if_expired(document, fields, now)
        except GoogleAPIError:
            # Every answer lost (or refused) and the client gave up, but a write may have
            # landed: raising would leave its lease to refuse the platform's retry as a
            # duplicate. Only this claim writes its owner, so finding it means ours.
            if self._owned_by(document, str(fields["owner"])):
                return True
            raise

    def release(self, key: str) -> None:
        """Forget `key`, so the retry of a delivery whose work failed is taken."""
        self._document(key).delete(timeout=self.timeout)

    def confirm(self, key: str, ttl_seconds: float) -> None:
        """Hold `key` for `ttl_seconds` from now, whatever its claim was (a lease, expired, none)."""
        # No owner: only the claim that wrote one reads it, before it returns, and a
        # confirm only ever follows a claim that has returned.
        fields = {"key": key, "expires": _timestamp(self._clock() + ttl_seconds), "state": DONE}
        self._document(key).set(fields, timeout=self.timeout)

    def is_confirmed(self, key: str) -> bool:
        """True when `key` holds an unexpired confirmed claim; False for a lease, or nothing."""
        snapshot = self._document(key).get(timeout=self.timeout)
        if not snapshot.exists:
            return False
        fields = snapshot.to_dict() or {}
        expires = fields.get("expires")
        if expires is None or expires.timestamp() <= self._clock():
            return False
        return fields.get("state") == DONE

    def _retry(self) -> Any:
        """google-api-core's resends, on the errors its default Commit retry resends on, within `timeout`."""
        from google.api_core import exceptions, retry

        return retry.Retry(initial=0.1, maximum=self.timeout, multiplier=1.3, timeout=self.timeout,
                           predicate=retry.if_exception_type(exceptions.ResourceExhausted,
                                                             exceptions.ServiceUnavailable))

    def _owned_by(self, document: Any, owner: str) -> bool:
        """True when `document` holds `owner`; False when it does not, or cannot be read."""
        try:
            snapshot = document.get(retry=self._retry(), timeout=self.timeout)
        except Exception:  # the caller raises the claim's own error instead
            return False
        return snapshot.exists and (snapshot.to_dict() or {}).get("owner") == owner

    def _take_over_if_expired(self, document: Any, fields: dict[str, Any], now: float) -> bool:
        from google.cloud import firestore

        @firestore.transactional
        def take_over(transaction: Any) -> bool:
            snapshot = document.get(transaction=transaction, timeout=self.timeout)
            if snapshot.exists and (snapshot.to_dict() or {}).get("owner") == fields["owner"]:
                return True  # our own create (or take-over), whose answer was lost and resent
            expires = snapshot.get("expires") if snapshot.exists else None
            if expires is not None and expires.timestamp() > now:
                return False
            # The transaction fails and is retried if another instance writes it meanwhile.
            transaction.set(document, fields)
            return True

        return bool(take_over(self._firestore().transaction()))

    def _document(self, key: str) -> Any:
        return self._firestore().collection(self.collection).document(storage_key(key))

    def _firestore(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.cloud import firestore

                self._client = firestore.Client(project=self.project or None, database=self.database)
            return self._client


def store_from_env(env: Mapping[str, str]) -> FirestoreDedupeStore | None:
    """The Firestore store when `BOTLESS_FIRESTORE_COLLECTION` is set; else None, with a start-up warning."""
    return shared_dedupe(env, SETTING, "gcf", FirestoreDedupeStore.from_env)


def _timestamp(epoch_seconds: float) -> datetime:
    # A timestamp field (not a number): Firestore's TTL policies only act on timestamps.
    return datetime.fromtimestamp(0, UTC) + timedelta(seconds=epoch_seconds)
