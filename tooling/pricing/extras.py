"""Prices outside a plain month of invocations: measured instance time, provisioned
concurrency, response streaming, egress, the GKE fee and Azure's execution-unit metric.
"""

from __future__ import annotations

from decimal import Decimal

from . import aws, azure, gcp, knative
from .book import PriceBook, load
from .model import Bill, PricingError, exact, to_decimal
from .targets import Priced, Workload, book_for, check_usage, make_bill, plans, target_info


@exact
def price_instance_time(target: str, instance_seconds: float, invocations: float, memory_mb: float,
                        *, vcpu: float | None = None, free_tier: bool = True,
                        region: str | None = None, book: PriceBook | None = None,
                        plan: str | None = None) -> Bill:
    """Price measured instance busy time (gcf gen2, azure flex), not per-invocation time.

    Both bill instance time shared by concurrent requests; when the platform's metrics
    give that time (already rounded), this prices it exactly.
    """
    info = target_info(target, plan)
    if info.instance_lines is None:
        billing = ", ".join(i.name for i in plans().values() if i.instance_lines is not None)
        raise PricingError(f"instance time prices only {billing}, not {info.name}")
    prices = book_for(info, book)
    where = prices.region(region)
    usage = check_usage(info, Workload(invocations, 0, memory_mb, vcpu), "x86_64", {})
    busy = [(usage, to_decimal(instance_seconds, "instance_seconds"))]
    priced = Priced(lines=[])
    priced.lines = info.instance_lines(prices, where, busy, free_tier, priced.memory_mb)
    inputs = {"instance_seconds": instance_seconds, "invocations": invocations,
              "memory_mb": memory_mb, "vcpu": vcpu, "free_tier": free_tier}
    return make_bill(info, prices, where, inputs, priced, usage.invocations)


@exact
def price_provisioned_concurrency(concurrency: int, enabled_hours: float, memory_mb: float,
                                  invocations: float, duration_ms: float, *, arch: str = "x86_64",
                                  region: str | None = None, book: PriceBook | None = None) -> Bill:
    """AWS Lambda provisioned concurrency: the configured GB-s while enabled (5 min steps),
    the GB-s run on it, and its requests. Add price_month() for the on-demand overflow.
    """
    info = target_info("aws-lambda")
    prices = book_for(info, book)
    where = prices.region(region)
    check_usage(info, Workload(invocations, duration_ms, memory_mb), arch, {})
    priced = aws.price_provisioned(
        prices, where, arch=arch, concurrency=to_decimal(concurrency, "concurrency"),
        enabled_s=to_decimal(enabled_hours, "enabled_hours") * 3600,
        memory_mb=to_decimal(memory_mb, "memory_mb"), invocations=to_decimal(invocations, "invocations"),
        duration_ms=to_decimal(duration_ms, "duration_ms"))
    inputs = {"provisioned_concurrency": concurrency, "enabled_hours": enabled_hours,
              "memory_mb": memory_mb, "invocations": invocations, "duration_ms": duration_ms,
              "arch": arch}
    return make_bill(info, prices, where, inputs, priced, to_decimal(invocations, "invocations"))


@exact
def price_response_streaming(responses: float, response_bytes: float, *, free_tier: bool = True,
                             region: str | None = None, book: PriceBook | None = None) -> Bill:
    """aws-lambda response streaming: bytes past the first 6 MB of each response."""
    info = target_info("aws-lambda")
    prices = book_for(info, book)
    where = prices.region(region)
    priced = aws.price_streaming(prices, where, responses=to_decimal(responses, "responses"),
                                 response_bytes=to_decimal(response_bytes, "response_bytes"),
                                 free_tier=free_tier)
    inputs = {"responses": responses, "response_bytes": response_bytes, "free_tier": free_tier}
    return make_bill(info, prices, where, inputs, priced, to_decimal(responses, "responses"), sections=())


@exact
def egress_cost(target: str, total_bytes: float, *, free_tier: bool = True,
                region: str | None = None, book: PriceBook | None = None, plan: str | None = None) -> Bill:
    """A month of internet egress, where the data holds its price (gcf gen1 only so far)."""
    info = target_info(target, plan)
    if (info.target, info.plan) != ("gcf", "gen1"):
        raise PricingError(f"egress is priced only for gcf gen1 so far, not {info.name}")
    prices = book_for(info, book)
    where = prices.region(region)
    priced = gcp.price_egress(prices, where, total_bytes=to_decimal(total_bytes, "total_bytes"),
                              free_tier=free_tier)
    inputs = {"total_bytes": total_bytes, "free_tier": free_tier}
    return make_bill(info, prices, where, inputs, priced, Decimal(0))


@exact
def gke_cluster_fee(regional_hours: float, zonal_hours: float,
                    free_zonal_hours: float | None = None, region: str | None = None) -> Decimal:
    """The GKE management fee of one billing account for a month, unrounded (USD)."""
    book = load("knative")
    free = None if free_zonal_hours is None else to_decimal(free_zonal_hours, "free_zonal_hours")
    return knative.cluster_fee(book, book.region(region),
                               regional_hours=to_decimal(regional_hours, "regional_hours"),
                               zonal_hours=to_decimal(zonal_hours, "zonal_hours"),
                               free_zonal_hours=free)


@exact
def execution_units_to_gb_seconds(units: float, region: str | None = None) -> Decimal:
    """Azure Monitor Function Execution Units (MB-ms) as GB-s, unrounded."""
    book = load("azure")
    return azure.execution_units_to_gb_seconds(book, book.region(region), to_decimal(units, "units"))

