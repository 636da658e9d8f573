"""Azure and Knative/GKE worked examples (PRICING.md sections 5, 6, 7, 8 and 11), to the cent."""

from __future__ import annotations

from decimal import Decimal

from tooling.pricing import bus_cost, execution_units_to_gb_seconds, gke_cluster_fee, price_instance_time, price_month

D = Decimal


def test_consumption_pricing_page_example() -> None:
    """[AZ-P] section 5 (recalled, DERIVED), oracle 17: 3M x 1 s at 512 MB observed -> $18.00."""
    bill = price_month("azure", 3_000_000, 1000, 512, plan="consumption")
    assert (bill.compute_usd, bill.requests_usd, bill.total_usd) == (D("17.60"), D("0.40"), D("18.00"))


def test_consumption_execution_units_metric() -> None:
    """[AZ-COST-2019] section 5, oracle 10: 1.11e9 execution units (MB-ms) = 1,083.98 GB-s."""
    assert round(execution_units_to_gb_seconds(1_110_000_000), 2) == D("1083.98")


def test_flex_metrics_example() -> None:
    """[AZ-COST] section 6 metrics example: 3.54e9 on-demand execution units = 3,457.03 GB-s."""
    assert round(execution_units_to_gb_seconds(3_540_000_000), 2) == D("3457.03")


def test_flex_cpu_bound_example() -> None:
    """[AZ-COST] section 6, oracle 8: 40 rps on 10 busy 2 GB instances for 1 h, no grants -> $1.9296/h."""
    bill = price_instance_time("azure", 10 * 3600, 40 * 3600, 2048, free_tier=False, plan="flex")
    time, executions = bill.lines
    assert (time.quantity, time.exact) == (72_000, D("1.872"))
    assert executions.exact == D("0.0576")
    assert bill.total_exact == D("1.9296")
    assert bill.total_usd == D("1.93")


def test_flex_io_bound_example() -> None:
    """[AZ-COST] section 6, oracle 9: the same load on 1 instance -> $0.2448/h (printed "$0.245")."""
    bill = price_instance_time("azure", 3600, 40 * 3600, 2048, free_tier=False, plan="flex")
    assert [line.exact for line in bill.lines] == [D("0.1872"), D("0.0576")]
    assert round(bill.total_exact, 3) == D("0.245")


def test_event_grid_third_party_example() -> None:
    """[EG-3P] section 7 (DERIVED): 5M events to 1 HTTPS endpoint = 10M operations -> $5.94."""
    bill = bus_cost("azure", 5_000_000, 1024, deliveries=1, plan="consumption")
    assert bill.lines[0].quantity == 10_000_000
    assert bill.total_usd == D("5.94")


def test_gke_fee_older_page_example() -> None:
    """[GKE] section 8.1, oracle 13: regional 2,000 h + zonal 1,000 h, 30-day month -> $228 (and $100)."""
    assert gke_cluster_fee(2000, 1000, free_zonal_hours=720) == 228
    assert gke_cluster_fee(1000, 500, free_zonal_hours=720) == 100
    assert gke_cluster_fee(0, 744) == 0  # the newer $74.40 credit covers a 31-day month


def test_knative_standard_fixed_cost() -> None:
    """[E2] [GKE] section 8.2 (DERIVED): 3 x e2-standard-2 zonal, fee covered -> $146.74 + LB."""
    bill = price_month("knative", 0, 0, 512, cluster="standard")
    nodes = next(line for line in bill.lines if "nodes" in line.item)
    assert nodes.usd == D("146.74")
    assert bill.lines[0].usd == 0  # the cluster fee, inside the free credit
    assert bill.total_usd == D("146.74") + D("18.00")


def test_knative_autopilot_fixed_and_variable() -> None:
    """[GKE-3P] [KN] section 8.2 (DERIVED): F = $20.75 + LB; a 0.5 vCPU / 0.5 GiB pod busy 1.2 s = $8.24e-6."""
    idle = price_month("knative", 0, 1200, 512, vcpu=0.5)
    system = [line for line in idle.lines if "system pods" in line.item]
    assert sum(line.exact for line in system).quantize(D("0.01")) == D("20.75")
    busy = price_month("knative", 1_000_000, 1200, 512, vcpu=0.5)
    per_call = (busy.total_exact - idle.total_exact) / 1_000_000
    assert round(per_call, 8) == D("0.00000824")
