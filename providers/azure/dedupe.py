"""The dedupe store on Azure Functions: Table Storage, one entity per claim.

Settings: `BOTLESS_DEDUPE_TABLE_NAME` (the table; infra/azure creates it), and either
`BOTLESS_TABLE_CONNECTION_STRING` or `BOTLESS_TABLE_ACCOUNT_URL` with
`BOTLESS_TABLE_ACCOUNT_KEY` (a Key Vault reference in infra/azure). A claim is
`create_entity`, which fails with ResourceExistsError when the entity is there. Table
Storage never expires entities by itself, so an entity whose `expires` has passed is
replaced by an ETag-conditional update: of two instances taking it over, one wins.
A confirm is an `upsert_entity` (unconditional), a release `delete_entity`. The `state`
property says whether the claim is a lease (`lease`) or confirmed (`done`);
`is_confirmed` reads the entity. A claim's `owner` is a token new for each claim, so a
claim whose answer was lost knows its entity for its own when it reads it: azure-core
resends the take-over's PUT after a dropped connection (the resend's If-Match fails on
the first attempt's write) and an insert answered 500/503/504, but not an insert whose
answer was lost on the wire (ServiceResponseError), which the store then reads back.
The client (and `azure.data.tables`) is created on first use.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from core.dedupe import storage_key
from providers.runtime import ConfigurationError
from providers.shared_store import shared_dedupe

TABLE_SETTING = "BOTLESS_DEDUPE_TABLE_NAME"
CONNECTION_SETTING = "BOTLESS_TABLE_CONNECTION_STRING"
URL_SETTING = "BOTLESS_TABLE_ACCOUNT_URL"
KEY_SETTING = "BOTLESS_TABLE_ACCOUNT_KEY"
# Each key is its own partition: claims are point writes, spread over the account.
ROW_KEY = "claim"
# Webhook claims happen while Slack and Discord wait (3 s): fail fast, the platform retries.
TIMEOUT_SECONDS = 2.0
# The `state` of a claim: a lease while its role runs, done once it is confirmed.
LEASE = "lease"
DONE = "done"


class TableDedupeStore:
    """A DedupeStore shared by every instance of the Function App: one entity per key."""

    blocking = True  # a network call: core.dedupe.claim runs it in a thread

    def __init__(self, table: str, *, connection_string: str = "", account_url: str = "",
                 account_key: str = "", timeout: float = TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        if not connection_string and not (account_url and account_key):
            raise ConfigurationError(f"the Table Storage dedupe store needs {CONNECTION_SETTING}, or "
                                     f"{URL_SETTING} and {KEY_SETTING}")
        self.table = table
        self._connection_string = connection_string
        self.account_url = account_url.rstrip("/")
        self._account_key = account_key
        self.timeout = timeout
        self._clock = clock
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # no secret in a log line
        return f"TableDedupeStore(table={self.table!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TableDedupeStore | None:
        """The store for `BOTLESS_DEDUPE_TABLE_NAME`, or None when it is not set.

        ConfigurationError (at start-up) when the table is named but the account is not.
        """
        table = env.get(TABLE_SETTING, "").strip()
        if not table:
            return None
        return cls(table, connection_string=env.get(CONNECTION_SETTING, "").strip(),
                   account_url=env.get(URL_SETTING, "").strip(), account_key=env.get(KEY_SETTING, "").strip())

    def put_if_absent(self, key: str, ttl_seconds: float) -> bool:
        """True when `key` is new or expired (and is now claimed); False when it is taken."""
        from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError, ServiceResponseError

        now = self._clock()
        # The owner is made once per claim, before any resend.
        entity = {"PartitionKey": storage_key(key), "RowKey": ROW_KEY, "key": key,
                  "expires": _timestamp(now + ttl_seconds), "state": LEASE, "owner": uuid.uuid4().hex}
        in_doubt: ServiceResponseError | None = None
        try:
            self._tables().create_entity(entity)
            return True
        except ResourceExistsError:
            pass  # taken, perhaps by this claim: azure-core resent an insert answered 5xx
        except ServiceResponseError as error:
            # Sent, answer lost, not resent (a POST): a raise would leave an entity that
            # landed to refuse the platform's retry, so read what is there.
            in_doubt = error
        try:
            existing = self._tables().get_entity(entity["PartitionKey"], ROW_KEY)
        except ResourceNotFoundError:
            if in_doubt is not None:
                raise in_doubt from None  # it did not land: the platform's retry is fresh
            return self._create_after_release(entity)
        if existing.get("owner") == entity["owner"]:
            return True
        if existing["expires"].timestamp() > now:
            return False
        return self._replace(entity, existing.metadata["etag"])

    def release(self, key: str) -> None:
        """Forget `key`, so the retry of a delivery whose work failed is taken."""
        # delete_entity succeeds when the entity is already gone.
        self._tables().delete_entity(storage_key(key), ROW_KEY)

    def confirm(self, key: str, ttl_seconds: float) -> None:
        """Hold `key` for `ttl_seconds` from now, whatever its claim was (a lease, expired, none)."""
        from azure.data.tables import UpdateMode

        # No owner: only the claim that wrote one reads it, before it returns, and a
        # confirm only ever follows a claim that has returned.
        entity = {"PartitionKey": storage_key(key), "RowKey": ROW_KEY, "key": key,
                  "expires": _timestamp(self._clock() + ttl_seconds), "state": DONE}
        self._tables().upsert_entity(entity, mode=UpdateMode.REPLACE)

    def is_confirmed(self, key: str) -> bool:
        """True when `key` holds an unexpired confirmed claim; False for a lease, or nothing."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            entity = self._tables().get_entity(storage_key(key), ROW_KEY)
        except ResourceNotFoundError as error:
            if getattr(error, "error_code", None) == "TableNotFound":  # a missing table is no "not confirmed"
                raise
            return False
        if entity["expires"].timestamp() <= self._clock():
            return False
        return bool(entity.get("state") == DONE)

    def close(self) -> None:
        """Close the HTTP session (reopened on the next call)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _create_after_release(self, entity: dict[str, Any]) -> bool:
        # Released between our create and our read: one more try, and whoever creates it wins.
        from azure.core.exceptions import ResourceExistsError

        try:
            self._tables().create_entity(entity)
            return True
        except ResourceExistsError:
            return self._ours(entity)

    def _ours(self, entity: dict[str, Any]) -> bool:
        # After a refused write: True when the entity there is this claim's own (a resend of
        # a write whose answer was lost was refused by that write itself).
        from azure.core.exceptions import ResourceNotFoundError

        try:
            existing = self._tables().get_entity(entity["PartitionKey"], ROW_KEY)
        except ResourceNotFoundError:
            return False
        return bool(existing.get("owner") == entity["owner"])

    def _replace(self, entity: dict[str, Any], etag: str) -> bool:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
        from azure.data.tables import UpdateMode

        try:
            self._tables().update_entity(entity, mode=UpdateMode.REPLACE, etag=etag,
                                         match_condition=MatchConditions.IfNotModified)
            return True
        except ResourceModifiedError:
            # Another instance took it over first, or azure-core resent our PUT after its
            # answer was lost and the first attempt's write changed the ETag.
            return self._ours(entity)
        except ResourceNotFoundError:  # released meanwhile
            return self._create_after_release(entity)

    def _tables(self) -> Any:
        with self._lock:
            if self._client is None:
                from azure.data.tables import TableClient

                transport: dict[str, Any] = {"connection_timeout": self.timeout, "read_timeout": self.timeout,
                             "retry_total": 1}
                if self._connection_string:
                    self._client = TableClient.from_connection_string(
                        self._connection_string, table_name=self.table, **transport)
                else:
                    from azure.core.credentials import AzureNamedKeyCredential

                    credential = AzureNamedKeyCredential(account_name(self.account_url), self._account_key)
                    self._client = TableClient(self.account_url, table_name=self.table, credential=credential,
                                               **transport)
            return self._client


def store_from_env(env: Mapping[str, str]) -> TableDedupeStore | None:
    """The Table Storage store when `BOTLESS_DEDUPE_TABLE_NAME` is set; else None, with a start-up warning."""
    return shared_dedupe(env, TABLE_SETTING, "azure", TableDedupeStore.from_env)


def account_name(url: str) -> str:
    """The storage account of a table endpoint: https://<account>.table.core.windows.net, or
    an emulator's http://127.0.0.1:10002/<account>."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    host = parts.hostname or ""
    if path:
        return path.split("/")[0]
    return host.split(".")[0]


def _timestamp(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(0, UTC) + timedelta(seconds=epoch_seconds)
