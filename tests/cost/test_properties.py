"""Properties of the billing model: monotone costs, rounding edges, free tiers."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tooling.pricing import bus_cost, plans, price_month
from tooling.pricing.book import load

D = Decimal
# COST_EXAMPLES=2000 for a deeper run; the default keeps the suite to about a second.
FAST = settings(max_examples=int(os.environ.get("COST_EXAMPLES", "40")), deadline=None, database=None)

# The largest memory each target and plan holds (MB), so every drawn size is valid.
LARGEST = {("aws-lambda", ""): 10240, ("gcf", "gen1"): 8192, ("gcf", "gen2"): 32768,
           ("azure", "consumption"): 3000, ("azure", "flex"): 4096, ("knative", "gke"): 65536}

targets = st.sampled_from(list(plans()))  # (target, plan) pairs
durations = st.floats(min_value=0, max_value=900_000, allow_nan=False)
invocations = st.integers(min_value=0, max_value=10**10)
free = st.booleans()


def _pair(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(strategy, strategy).map(sorted)


def _region(target: tuple[str, str], data: st.DataObject) -> str:
    """Any region the target's data prices (Google has Tier 1 and Tier 2)."""
    return data.draw(st.sampled_from(load(plans()[target].provider).regions))


def _total(target: tuple[str, str], n: float, ms: float, mb: float, free_tier: bool, region: str) -> Decimal:
    name, plan = target
    return price_month(name, n, ms, mb, free_tier=free_tier, region=region, plan=plan).total_usd


@FAST
@given(targets, _pair(durations), invocations, free, st.data())
def test_cost_never_falls_when_duration_grows(target, ms, n, free_tier, data) -> None:  # type: ignore[no-untyped-def]
    """Monotone in duration, every target, with and without free tiers."""
    mb, region = data.draw(st.floats(min_value=1, max_value=LARGEST[target])), _region(target, data)
    assert _total(target, n, ms[0], mb, free_tier, region) <= _total(target, n, ms[1], mb, free_tier, region)


@FAST
@given(targets, durations, invocations, free, st.data())
def test_cost_never_falls_when_memory_grows(target, ms, n, free_tier, data) -> None:  # type: ignore[no-untyped-def]
    """Monotone in memory (the default vCPU grows with the memory tier)."""
    low, high = sorted(data.draw(st.lists(st.floats(min_value=1, max_value=LARGEST[target]),
                                          min_size=2, max_size=2)))
    region = _region(target, data)
    assert _total(target, n, ms, low, free_tier, region) <= _total(target, n, ms, high, free_tier, region)


@FAST
@given(targets, durations, _pair(invocations), free, st.data())
def test_cost_never_falls_when_invocations_grow(target, ms, n, free_tier, data) -> None:  # type: ignore[no-untyped-def]
    """Monotone in invocations, across free tiers and volume tiers."""
    mb, region = data.draw(st.floats(min_value=1, max_value=LARGEST[target])), _region(target, data)
    assert _total(target, n[0], ms, mb, free_tier, region) <= _total(target, n[1], ms, mb, free_tier, region)


@FAST
@given(targets, durations, invocations, st.data())
def test_free_tiers_only_when_asked(target, ms, n, data) -> None:  # type: ignore[no-untyped-def]
    """free_tier=False takes nothing off; free_tier=True never costs more."""
    mb = data.draw(st.floats(min_value=1, max_value=LARGEST[target]))
    name, plan = target
    paid = price_month(name, n, ms, mb, free_tier=False, plan=plan)
    assert paid.free_tier_usd == 0
    assert price_month(name, n, ms, mb, free_tier=True, plan=plan).total_usd <= paid.total_usd


@FAST
@given(st.floats(min_value=0.0001, max_value=100_000, allow_nan=False))
def test_aws_bills_whole_milliseconds_rounded_up(ms: float) -> None:
    """[AWS-LP-pages] duration is rounded up to the nearest 1 ms."""
    billed = price_month("aws-lambda", 1, ms, 128).billed_ms_per_invocation
    assert billed is not None and billed - 1 < D(repr(ms)) <= billed and billed == int(billed)


@pytest.mark.parametrize("ms, billed", [(1.0001, 2), (1.0, 1), (0.2, 1), (120.0, 120), (120.5, 121)])
def test_aws_1ms_rounding_edges(ms: float, billed: int) -> None:
    """[AWS-LP-pages] 1.0001 ms bills 2 ms; 1 ms bills 1 ms."""
    assert price_month("aws-lambda", 1, ms, 128).billed_ms_per_invocation == billed


@pytest.mark.parametrize("plan", ["gen1", "gen2"])
@pytest.mark.parametrize("ms, billed", [(1, 100), (100, 100), (100.01, 200), (101, 200), (260, 300)])
def test_gcf_100ms_rounding_edges(plan: str, ms: float, billed: int) -> None:
    """[GCF1] [CR] rounded up to 100 ms: 1 ms bills 100, 101 bills 200, 260 bills 300."""
    assert price_month("gcf", 1, ms, 256, plan=plan).billed_ms_per_invocation == billed


@pytest.mark.parametrize("observed, billed", [(1, 128), (128, 128), (129, 256), (160, 256),
                                              (1500, 1536), (1536, 1536), (2000, 1536)])
def test_azure_consumption_128mb_steps_and_cap(observed: float, billed: int) -> None:
    """[AZ-P] observed memory up to the next 128 MB, at least 128 MB, capped at 1,536 MB."""
    assert price_month("azure", 1, 500, observed, plan="consumption").memory_mb == billed


@pytest.mark.parametrize("ms, billed", [(0, 100), (1, 100), (99.9, 100), (100.5, 101), (2000, 2000)])
def test_azure_consumption_100ms_minimum(ms: float, billed: int) -> None:
    """[AZ-METER] at least 100 ms per execution, else rounded up to 1 ms."""
    assert price_month("azure", 1, ms, 128, plan="consumption").billed_ms_per_invocation == billed


def test_azure_consumption_minimum_is_one_eightieth_gb_s() -> None:
    """[AZ-METER] the 100 ms / 128 MB minimum makes each execution at least 1/80 GB-s."""
    bill = price_month("azure", 80, 1, 1, free_tier=False, plan="consumption")
    assert bill.lines[0].quantity == 1


@pytest.mark.parametrize("ms, billed", [(1, 1000), (999, 1000), (1000, 1000), (1001, 1100), (1250, 1300)])
def test_azure_flex_1000ms_minimum_then_100ms(ms: float, billed: int) -> None:
    """[AZ-FLEX-DOC] minimum 1,000 ms per active period, then 100 ms steps."""
    assert price_month("azure", 1, ms, 2048, plan="flex").billed_ms_per_invocation == billed


@FAST
@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=1, max_value=10**6))
def test_pubsub_bills_at_least_1000_bytes_per_message(size: int, events: int) -> None:
    """[PS] each publish and each delivery is billed at >= 1,000 bytes."""
    bill = bus_cost("gcf", events, size, deliveries=1, free_tier=False, plan="gen2")
    assert bill.lines[0].quantity == events * 2 * max(size, 1000)


def test_concurrency_shares_instance_time() -> None:
    """[CR-CONC] [AZ-COST] concurrent requests share one instance's billed time."""
    alone = price_month("gcf", 10_000_000, 1000, 512, free_tier=False, concurrency=1, plan="gen2")
    shared = price_month("gcf", 10_000_000, 1000, 512, free_tier=False, concurrency=10, plan="gen2")
    compute = [sum(line.exact for line in bill.lines if line.category == "compute") for bill in (alone, shared)]
    assert compute[1] * 10 == compute[0]
    assert shared.requests_usd == alone.requests_usd


def test_aws_volume_tiers_start_past_6b_gb_s() -> None:
    """[AWS-TIER] x86: 6 B GB-s at $0.0000166667, the next at $0.000015 (free tier off)."""
    bill = price_month("aws-lambda", 7_000_000_000, 1000, 1024, free_tier=False)
    tier1, tier2 = bill.lines[:2]
    assert (tier1.quantity, tier2.quantity) == (6_000_000_000, 1_000_000_000)
    assert tier2.unit_price == D("0.000015")
