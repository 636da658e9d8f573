"""The dedupe stores' and secret stores' prices against the providers' worked examples (STORES.md section 9).

Where a provider publishes no example, the test works the page's own rule (marked DERIVED
in STORES.md), so a changed figure or unit conversion still fails here.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from tooling.pricing import PriceBook, SecretReads, StoreOps, secrets_cost, store_cost
from tooling.pricing.book import load
from tooling.pricing.model import charge

D = Decimal


def _book_with(provider: str, changes: dict[str, object]) -> PriceBook:
    raw = copy.deepcopy(dict(load(provider).raw))
    for dotted, value in changes.items():
        node = raw
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node[part]
        node[leaf]["value"] = value
    return PriceBook(provider, raw)


def _line(bill, item: str):
    [line] = [line for line in bill.lines if line.item == item]
    return line


def test_dynamodb_on_demand_example_at_the_pre_cut_rates() -> None:
    """STORES.md 1.3, oracle 1: 42,177,000 WRU at $1.25/M -> $52.72; the reads -> $10.54."""
    before_cut = _book_with("aws", {"tier.us-east-1.dynamodb.write_price": D("1.25"),
                                    "tier.us-east-1.dynamodb.read_price": D("0.25")})
    bill = store_cost("aws-lambda", StoreOps(claims=42_177_000, lookups=42_177_000), book=before_cut)
    assert _line(bill, "DynamoDB write request units").usd == D("52.72")
    assert _line(bill, "DynamoDB read request units").usd == D("10.54")


def test_dynamodb_at_todays_rates() -> None:
    """Oracle 2 (DERIVED): the same traffic at $0.625/M WRU and $0.125/M RRU -> $26.36 + $5.27."""
    bill = store_cost("aws-lambda", StoreOps(claims=42_177_000, lookups=42_177_000))
    assert (_line(bill, "DynamoDB write request units").usd, _line(bill, "DynamoDB read request units").usd) \
        == (D("26.36"), D("5.27"))
    assert bill.total_usd == D("31.63")


def test_a_refused_conditional_write_is_billed_and_ttl_deletes_are_free() -> None:
    """Oracle 4: 1,000 failed conditional writes on 1 KB items -> 1,000 WRU = $0.000625; TTL deletes $0."""
    bill = store_cost("aws-lambda", StoreOps(claims=1000, fresh=0), item_bytes=1024)
    assert _line(bill, "DynamoDB write request units").quantity == 1000
    assert bill.total_exact == D("0.000625")
    expired = store_cost("aws-lambda", StoreOps(claims=1000, fresh=1000))
    assert _line(expired, "DynamoDB TTL deletes").quantity == 1000 and _line(expired, "DynamoDB TTL deletes").exact == 0


def test_dynamodb_units_follow_the_item_size() -> None:
    """STORES.md 1.2: writes round up to 1 KB, reads to 4 KB (10 KB: 10 WRU, 3 RRU; 3,500 B: 4 WRU, 1 RRU)."""
    def units(item_bytes: int) -> tuple[Decimal, Decimal]:
        bill = store_cost("aws-lambda", StoreOps(claims=1, lookups=1), item_bytes=item_bytes)
        writes, reads = _line(bill, "DynamoDB write request units"), _line(bill, "DynamoDB read request units")
        return writes.quantity, reads.quantity

    assert units(10 * 1024) == (10, 3)
    assert units(3500) == (4, 1)
    assert units(200) == (1, 1)


def test_kms_example_requests() -> None:
    """STORES.md 2, oracle 5: 10,000 Encrypt + 2,000,000 Decrypt, 20,000 free -> $5.97 of requests."""
    bill = secrets_cost("aws-lambda", SecretReads(api_calls=0, secure_strings=2_010_000))
    assert _line(bill, "KMS Decrypt requests").usd == D("5.97")
    assert bill.free_tier_usd == D("0.06")


def test_parameter_store_standard_is_free_and_higher_throughput_matches_the_example() -> None:
    """STORES.md 2: standard throughput costs nothing; oracle 6's 100,000 interactions at $0.05/10,000 -> $0.50."""
    bill = secrets_cost("aws-lambda", SecretReads(api_calls=1_000_000))
    assert _line(bill, "SSM Parameter Store API calls (standard)").exact == 0
    higher = load("aws").figure("ssm.higher_throughput_price", "us-east-1")
    assert charge("interactions", "secrets", D(100_000), "calls", higher).usd == D("0.50")


def test_firestore_example_2018_multi_region() -> None:
    """STORES.md 3, oracle 7: 100M reads, 50M writes, 5M deletes at nam5, 30 days of free quota -> $148.90
    of operations; with 100 GiB stored ($17.82) the page's total, $166.72.
    """
    ops = StoreOps(claims=50_000_000, lookups=100_000_000, releases=5_000_000, fresh=5_000_000)
    bill = store_cost("gcf", ops, location="nam5")
    assert _line(bill, "Firestore document reads").usd == D("59.10")
    assert _line(bill, "Firestore document writes").usd == D("88.92")
    assert _line(bill, "Firestore deletes (releases)").usd == D("0.88")
    book = load("gcp")
    stored = (D(100) - book.figure("firestore.free_storage_gib", "us-central1").number()) \
        * book.figure("firestore.nam5.storage_price", "us-central1").number()
    assert stored == D("17.82")
    assert bill.total_usd + stored == D("166.72")


def test_firestore_ttl_deletes_never_get_the_free_quota() -> None:
    """STORES.md 3 (FS-P, FS-TTL): 20,000 expiring documents at $0.01/100,000 -> $0.002, free quota or not."""
    bill = store_cost("gcf", StoreOps(claims=20_000, fresh=20_000))
    assert _line(bill, "Firestore TTL deletes").exact == D("0.002")
    assert _line(bill, "Firestore document writes").exact == 0  # 20,000 writes are within 30 days' quota


def test_secret_manager_access_rule() -> None:
    """STORES.md 4, oracle 9: 25,000 access operations = 2.5 x $0.03 = $0.075, $0.045 after the 10,000 free."""
    without = secrets_cost("gcf", SecretReads(api_calls=25_000), free_tier=False)
    assert without.total_exact == D("0.075")
    assert secrets_cost("gcf", SecretReads(api_calls=25_000)).total_exact == D("0.045")


def test_table_storage_transactions() -> None:
    """STORES.md 5 (DERIVED): every REST call is a transaction at $0.00036 per 10,000; 1M -> $0.036."""
    bill = store_cost("azure", StoreOps(claims=250_000, confirms=250_000, releases=250_000, lookups=250_000))
    assert _line(bill, "Table Storage transactions").quantity == 1_000_000
    assert bill.total_exact == D("0.036")


def test_key_vault_references() -> None:
    """STORES.md 6 (DERIVED): 5 references re-fetched daily, 30 days at $0.03/10,000 -> $0.00045 a month."""
    bill = secrets_cost("azure", SecretReads(api_calls=1_000_000), references=5)
    assert bill.lines[0].quantity == 150 and bill.total_exact == D("0.00045")


def test_redis_and_kubernetes_secrets_cost_nothing_per_call() -> None:
    """STORES.md 7: Redis on the cluster and its Secret are the cluster's fixed cost."""
    assert store_cost("knative", StoreOps(claims=10**9, confirms=10**9)).total_exact == 0
    assert secrets_cost("knative", SecretReads(api_calls=3 * 10**6)).total_exact == 0
