"""Google worked examples (PRICING.md sections 2.2, 3.2, 4.1 and 11), to the cent."""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tooling.pricing import PriceBook, bus_cost, egress_cost, price_month
from tooling.pricing.book import load

D = Decimal
MIB, TIB = 2**20, 2**40


def test_gcf_gen1_simple_event_function() -> None:
    """[GCF1] section 2.2 (DERIVED, recalled as official), oracle 14: 10M x 300 ms x 128 MB -> $7.20."""
    bill = price_month("gcf", 10_000_000, 300, 128, plan="gen1")
    memory, cpu, invocations = bill.lines
    assert (memory.quantity, memory.usd) == (375_000, D("0.00"))  # inside the 400,000 free
    assert (cpu.quantity, cpu.usd) == (600_000, D("4.00"))
    assert invocations.usd == D("3.20")
    assert bill.total_usd == D("7.20")


def test_gcf_gen1_medium_http_function_with_egress() -> None:
    """[GCF1] section 2.2 (DERIVED), oracle 15: 50M x 500 ms x 256 MB + 5 KiB egress each -> $159.84."""
    bill = price_month("gcf", 50_000_000, 500, 256, plan="gen1")
    egress = egress_cost("gcf", 50_000_000 * 5 * 1024, plan="gen1")
    assert [line.usd for line in bill.lines] == [D("14.63"), D("98.00"), D("19.20")]
    assert egress.total_usd == D("28.01")
    assert bill.total_usd + egress.total_usd == D("159.84")


@pytest.mark.parametrize("memory_mb, table", [
    (128, "0.000000231"), (256, "0.000000463"), (512, "0.000000925"), (1024, "0.000001650"),
    (2048, "0.000002900"), (4096, "0.000005800"), (8192, "0.000006800"),
])
def test_gcf_gen1_price_per_100ms_table(memory_mb: int, table: str) -> None:
    """[GCF1-3P] section 2.1, oracle 18: one 100 ms run = 0.1 s x (GB x 2.5e-6 + GHz x 1e-5)."""
    bill = price_month("gcf", 1, 100, memory_mb, free_tier=False, plan="gen1")
    compute = sum(line.exact for line in bill.lines if line.category == "compute")
    assert compute.quantize(D("1e-9"), ROUND_HALF_UP) == D(table)


def test_cloud_run_functions_request_based() -> None:
    """[CR] section 3.2 (DERIVED), oracle 16: 10M x 200 ms, 1 vCPU, 512 MiB, Tier 1 -> $48.48."""
    bill = price_month("gcf", 10_000_000, 200, 512, vcpu=1, plan="gen2")
    assert [line.usd for line in bill.lines] == [D("43.68"), D("1.60"), D("3.20")]
    assert bill.total_usd == D("48.48")


def test_pubsub_minimum_billable_size() -> None:
    """[PS] section 4.1 minimum volume, oracle 11: 100 publishes of 500 B are billed 100 KB."""
    bill = bus_cost("gcf", events=100, event_bytes=500, deliveries=0, free_tier=False, plan="gen2")
    assert bill.lines[0].quantity == 100_000


def test_pubsub_one_mib_per_second_table() -> None:
    """[PS] section 4.1 comparison table, oracle 12: 2.5 TiB published + 2.5 TiB delivered -> $200."""
    events = D("2.5") * TIB / MIB  # 1 MiB messages
    assert bus_cost("gcf", events, MIB, deliveries=1, free_tier=False, plan="gen1").total_usd == D("200.00")
    assert bus_cost("gcf", events, MIB, deliveries=2, free_tier=False, plan="gen1").total_usd == D("300.00")


def test_pubsub_old_page_example_from_data_only() -> None:
    """[PS] section 4.1 old page (2019, $60/TiB): 1 MiB/s, 2 subscriptions, 30 days -> $444.36.

    The same code with the price changed in the data; at today's $40/TiB it is $296.24 (DERIVED).
    """
    raw = copy.deepcopy(load("gcp").raw)
    raw["pubsub"]["throughput_price"]["value"] = 60
    old = PriceBook("gcp", raw, "gcp-2019")
    seconds = 30 * 24 * 3600
    assert bus_cost("gcf", seconds, MIB, deliveries=2, book=old, plan="gen2").total_usd == D("444.36")
    assert bus_cost("gcf", seconds, MIB, deliveries=2, plan="gen2").total_usd == D("296.24")


def test_cloud_run_tier2_free_tier_is_valued_at_tier1_prices() -> None:
    """[CR] section 3.1: the free tier is a spending-based discount at Tier 1 prices."""
    bill = price_month("gcf", 10_000_000, 200, 512, vcpu=1, region="asia-northeast3", plan="gen2")
    cpu = bill.lines[0]
    assert cpu.free_exact == 180_000 * D("0.000024")  # $4.32 of credit, not 180,000 x Tier 2
    assert cpu.usd == (2_000_000 * D("0.0000336") - D("4.32")).quantize(D("0.01"))
