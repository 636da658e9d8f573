"""What a message costs beyond compute: the dedupe store's calls and the chat secrets' reads.

The calls are counted on core/dedupe.py's protocol (StoreOps); each target's store turns
them into its own billed units, as its class in providers/<cloud>/dedupe.py makes them:

| call (protocol)  | DynamoDB (aws)          | Firestore (gcp)     | Table Storage (azure) | Redis (knative) |
|------------------|-------------------------|---------------------|-----------------------|-----------------|
| put_if_absent    | conditional PutItem: WRU | create: 1 write    | insert: 1 transaction | SET NX          |
| confirm          | PutItem: WRU             | set: 1 write       | upsert: 1 transaction | SET             |
| release          | DeleteItem: WRU          | delete: 1 delete   | delete: 1 transaction | DEL             |
| is_confirmed     | consistent GetItem: RRU  | get: 1 read        | get: 1 transaction    | GET             |
| a claim's expiry | TTL delete: free         | TTL delete: billed | never deleted         | expires: free   |

A refused claim is billed like a fresh one (DynamoDB bills a failed conditional write;
STORES.md section 8). Secrets (SecretReads) are read once per cold start on aws-lambda
(SSM at init) and gcf (secret environment variables), re-fetched per reference every
day on azure (Key Vault references), and free on knative (a Kubernetes Secret).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal

from .book import PriceBook
from .model import ZERO, Bill, PricingError, ceil_to, charge, exact, to_decimal
from .targets import Priced, book_for, make_bill, target_info


@dataclass(frozen=True)
class StoreOps:
    """A month of calls on the dedupe store's protocol (core/dedupe.py), as counted."""

    claims: float | Decimal = 0  # put_if_absent: conditional writes, fresh or refused
    fresh: float | Decimal = 0  # claims that created a record, each of which expires later
    confirms: float | Decimal = 0
    releases: float | Decimal = 0
    lookups: float | Decimal = 0  # is_confirmed: a consistent point read


@dataclass(frozen=True)
class SecretReads:
    """Reads of the chat secrets: API calls (SSM, Secret Manager), and the SecureStrings among
    the values read, which SSM decrypts with KMS (`kms.decrypts_per_secure_string` each).
    """

    api_calls: float | Decimal = 0
    secure_strings: float | Decimal = 0


def _checked(ops: StoreOps) -> dict[str, Decimal]:
    return {name: to_decimal(value, name) for name, value in asdict(ops).items()}


def _dynamodb(book: PriceBook, region: str, ops: dict[str, Decimal], free_tier: bool,
              item_bytes: Decimal, location: str | None) -> Priced:
    writes = (ops["claims"] + ops["confirms"] + ops["releases"]) * _units(book, region, "write", item_bytes)
    reads = ops["lookups"] * _units(book, region, "read", item_bytes)
    free = book.free("dynamodb.free_request_units", region, free_tier)
    return Priced(lines=[
        charge("DynamoDB write request units", "store", writes, "WRU",
               book.figure("dynamodb.write_price", region), min(free, writes)),
        charge("DynamoDB read request units", "store", reads, "RRU", book.figure("dynamodb.read_price", region)),
        charge("DynamoDB TTL deletes", "store", max(ZERO, ops["fresh"] - ops["releases"]), "items",
               book.figure("dynamodb.ttl_delete_price", region)),
    ], notes=["DynamoDB on demand: every claim is 1 WRU per KB, refused or not; TTL deletes are free"])


def _units(book: PriceBook, region: str, kind: str, item_bytes: Decimal) -> Decimal:
    """Request units one read or write of an item of `item_bytes` takes: its size rounded up, at least 1."""
    unit = book.figure(f"dynamodb.{kind}_unit_bytes", region).number()
    return max(Decimal(1), ceil_to(item_bytes, unit) / unit)


def _firestore(book: PriceBook, region: str, ops: dict[str, Decimal], free_tier: bool,
               item_bytes: Decimal, location: str | None) -> Priced:
    where = _firestore_location(book, region, location)
    days = book.figure("firestore.days_per_month", region).number()
    writes = ops["claims"] + ops["confirms"]
    reads = ops["lookups"]
    expired = max(ZERO, ops["fresh"] - ops["releases"])  # released documents are deleted by the release itself
    lines = [
        charge("Firestore document writes", "store", writes, "writes", book.figure(f"firestore.{where}.write_price",
               region), min(writes, days * book.free("firestore.free_writes_per_day", region, free_tier))),
        charge("Firestore document reads", "store", reads, "reads", book.figure(f"firestore.{where}.read_price",
               region), min(reads, days * book.free("firestore.free_reads_per_day", region, free_tier))),
        charge("Firestore deletes (releases)", "store", ops["releases"], "deletes",
               book.figure(f"firestore.{where}.delete_price", region),
               min(ops["releases"], days * book.free("firestore.free_deletes_per_day", region, free_tier))),
        # TTL deletes never get the free quota (STORES.md section 3).
        charge("Firestore TTL deletes", "store", expired, "deletes", book.figure(f"firestore.{where}.delete_price",
                                                                                   region)),
    ]
    return Priced(lines=lines, notes=[f"Firestore {where}: one write per create or set, whatever the size"])


def _firestore_location(book: PriceBook, region: str, location: str | None) -> str:
    choice = book.figure("firestore.location", region)
    chosen = location or str(choice.fields["default"])
    if chosen not in choice.fields["choices"]:
        known = ", ".join(choice.fields["choices"])
        raise PricingError(f"unknown Firestore location {chosen!r}; choose one of: {known}")
    return chosen


def _tables(book: PriceBook, region: str, ops: dict[str, Decimal], free_tier: bool,
            item_bytes: Decimal, location: str | None) -> Priced:
    transactions = ops["claims"] + ops["confirms"] + ops["releases"] + ops["lookups"]
    line = charge("Table Storage transactions", "store", transactions, "transactions",
                  book.figure("table_storage.transaction_price", region),
                  book.free("table_storage.free_transactions", region, free_tier))
    return Priced(lines=[line], notes=["Table Storage never expires an entity: claims stay stored (not priced)"])


def _redis(book: PriceBook, region: str, ops: dict[str, Decimal], free_tier: bool,
           item_bytes: Decimal, location: str | None) -> Priced:
    commands = ops["claims"] + ops["confirms"] + ops["releases"] + ops["lookups"]
    return Priced(lines=[charge("Redis commands", "store", commands, "commands",
                                book.figure("redis.operation_price", region))],
                  notes=["Redis runs on the cluster: its cost is the cluster's, none per command"])


StorePricer = Callable[[PriceBook, str, dict[str, Decimal], bool, Decimal, "str | None"], Priced]
STORES: dict[str, StorePricer] = {"aws": _dynamodb, "gcp": _firestore, "azure": _tables, "knative": _redis}


@exact
def store_cost(target: str, ops: StoreOps, *, item_bytes: float = 0, free_tier: bool = True,
               region: str | None = None, location: str | None = None, book: PriceBook | None = None,
               plan: str | None = None) -> Bill:
    """A month of the target's dedupe store: `ops` counted on its protocol, each record `item_bytes` at most.

    location: Firestore's (gcf; default the data file's). item_bytes sizes DynamoDB's
    request units (1 WRU per KB written, 1 RRU per 4 KB read; at least 1 each).
    """
    info = target_info(target, plan)
    prices = book_for(info, book)
    where = prices.region(region)
    counted = _checked(ops)
    priced = STORES[info.provider](prices, where, counted, free_tier, to_decimal(item_bytes, "item_bytes"), location)
    inputs = {**asdict(ops), "item_bytes": item_bytes, "free_tier": free_tier}
    return make_bill(info, prices, where, inputs, priced, counted["claims"], sections=())


@exact
def secrets_cost(target: str, reads: SecretReads, *, references: float = 0, free_tier: bool = True,
                 region: str | None = None, book: PriceBook | None = None, plan: str | None = None) -> Bill:
    """A month of reading the chat secrets: `reads` (the month's, at the cold starts) and, on
    azure, the `references` App Service fetches from Key Vault (`reference_fetches_per_day`).
    """
    info = target_info(target, plan)
    prices = book_for(info, book)
    where = prices.region(region)
    calls = to_decimal(reads.api_calls, "api_calls")
    if info.provider == "aws":
        decrypts = to_decimal(reads.secure_strings, "secure_strings") \
            * prices.figure("kms.decrypts_per_secure_string", where).number()
        lines = [charge("SSM Parameter Store API calls (standard)", "secrets", calls, "calls",
                        prices.figure("ssm.standard_api_price", where)),
                 charge("KMS Decrypt requests", "secrets", decrypts, "requests",
                        prices.figure("kms.request_price", where),
                        min(decrypts, prices.free("kms.free_requests", where, free_tier)))]
    elif info.provider == "gcp":
        lines = [charge("Secret Manager access operations", "secrets", calls, "accesses",
                        prices.figure("secret_manager.access_price", where),
                        min(calls, prices.free("secret_manager.free_accesses", where, free_tier)))]
    elif info.provider == "azure":
        fetches = (to_decimal(references, "references") * prices.figure("key_vault.days_per_month", where).number()
                   * prices.figure("key_vault.reference_fetches_per_day", where).number())
        lines = [charge("Key Vault secret GETs (references, fetched daily)", "secrets", fetches, "operations",
                        prices.figure("key_vault.operation_price", where))]
    else:
        lines = [charge("Kubernetes Secret reads", "secrets", calls, "reads",
                        prices.figure("kubernetes_secret.read_price", where))]
    inputs = {**asdict(reads), "references": references, "free_tier": free_tier}
    return make_bill(info, prices, where, inputs, Priced(lines=lines), calls, sections=())
