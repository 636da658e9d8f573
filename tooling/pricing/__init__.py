"""The billing model of `botless cost`: a month of invocations priced on each target.

Pure and offline: every price, free tier, rounding rule and memory step comes from the
TOML files in `tooling/pricing/data/`, each figure with its source and the date it was
seen. Amounts are exact Decimals; each bill line is rounded to the cent as the
providers' worked examples print it.

    bill = price_month("aws-lambda", invocations=3_000_000, duration_ms=120.0, memory_mb=1536)
    bill.total_usd            # Decimal('2.73')
    store_cost("aws-lambda", StoreOps(claims=1_000_000))      # the dedupe store's month (stores.py)
    price_month("gcf", 3_000_000, 120.0, 512, plan="gen1")   # a target's other plan

Targets are the registry's (tooling/targets.py); each pricing module declares its plans (PLANS).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from types import ModuleType
from typing import Any

from .book import PROVIDERS, PriceBook, load
from .extras import (
    egress_cost,
    execution_units_to_gb_seconds,
    gke_cluster_fee,
    price_instance_time,
    price_provisioned_concurrency,
    price_response_streaming,
)
from .model import Bill, Line, PricingError, exact, to_decimal
from .stores import SecretReads, StoreOps, secrets_cost, store_cost
from .targets import TargetInfo, Workload, book_for, check_usage, make_bill, plans, target_info

__all__ = [
    "Bill",
    "Line",
    "PriceBook",
    "PricingError",
    "SecretReads",
    "StoreOps",
    "TargetInfo",
    "Workload",
    "bus_cost",
    "egress_cost",
    "execution_units_to_gb_seconds",
    "front_cost",
    "gke_cluster_fee",
    "plans",
    "price_date",
    "price_functions",
    "price_instance_time",
    "price_month",
    "price_provisioned_concurrency",
    "price_response_streaming",
    "secrets_cost",
    "smallest_memory_setting",
    "store_cost",
]

def _module(info: TargetInfo) -> ModuleType:
    """The pricing module of a target (tooling/pricing/<provider>.py): its bus and front pricers."""
    return importlib.import_module(f"{__package__}.{info.provider}")


def price_month(target: str, invocations: float, duration_ms: float, memory_mb: float,
                arch: str = "x86_64", vcpu: float | None = None, free_tier: bool = True,
                region: str | None = None, *, concurrency: float = 1,
                ephemeral_mb: float | None = None, cluster: str | None = None,
                book: PriceBook | None = None, plan: str | None = None) -> Bill:
    """Price one function's month: `invocations` runs of `duration_ms` each at `memory_mb`.

    memory_mb is rounded up to the target's next allowed setting (bill.memory_mb); on
    azure consumption it is the observed memory. vcpu: gcf gen2 (default from the memory
    tier) and knative (pod request). concurrency: executions sharing one instance on
    gcf gen2, azure flex and knative. ephemeral_mb: aws-lambda /tmp size.
    cluster: knative "autopilot" or "standard". book: another PriceBook (tests, what-ifs).
    plan: the target's billing plan (gcf gen1/gen2, azure consumption/flex); None: the one
    infra/<target> deploys.
    """
    workload = Workload(invocations, duration_ms, memory_mb, vcpu, concurrency)
    return price_functions(target, [workload], arch=arch, free_tier=free_tier, region=region,
                           ephemeral_mb=ephemeral_mb, cluster=cluster, book=book, plan=plan)


@exact
def price_functions(target: str, workloads: Sequence[Workload], *, arch: str = "x86_64",
                    free_tier: bool = True, region: str | None = None,
                    ephemeral_mb: float | None = None, cluster: str | None = None,
                    book: PriceBook | None = None, plan: str | None = None) -> Bill:
    """Price several functions of one account together, so they share one free tier.

    Use it for the pipeline topology (one function per role): pricing each role with
    price_month(free_tier=True) would count the account's free tier once per role.
    """
    info = target_info(target, plan)
    prices = book_for(info, book)
    where = prices.region(region)
    options = {"ephemeral_mb": ephemeral_mb, "cluster": cluster}
    usages = [check_usage(info, w, arch, options) for w in workloads]
    priced = info.price(usages, book=prices, region=where, arch=arch, free_tier=free_tier,
                              **{k: v for k, v in options.items() if v is not None})
    if free_tier:
        priced.notes.append("free tiers are per account and month: this bill gives them all to this workload")
    inputs = {"workloads": [vars(w) for w in workloads], "arch": arch, "free_tier": free_tier,
              **{k: v for k, v in options.items() if v is not None}}
    if len(workloads) == 1:
        inputs = {**{k: v for k, v in vars(workloads[0]).items() if k != "name"}, **inputs}
        del inputs["workloads"]
    total = sum((u.invocations for u in usages), Decimal(0))
    return make_bill(info, prices, where, inputs, priced, total)


@exact
def smallest_memory_setting(target: str, peak_mb: float, headroom: float = 1.25,
                            region: str | None = None, book: PriceBook | None = None,
                            plan: str | None = None) -> int:
    """The smallest memory setting of `target` that holds peak_mb x headroom.

    On azure consumption, which has no setting, it is the 128 MB billing step.
    """
    info = target_info(target, plan)
    prices = book_for(info, book)
    need = to_decimal(peak_mb, "peak_mb") * to_decimal(headroom, "headroom")
    return info.memory_setting(prices, prices.region(region), need)


def price_date(target: str | None = None, region: str | None = None, plan: str | None = None) -> date:
    """The oldest `seen` date of the prices a target uses (of all data when target is None).

    Oldest, so a report never claims fresher prices than its stalest figure.
    """
    if target is None:
        return min(load(provider).oldest_seen() for provider in PROVIDERS)
    info = target_info(target, plan)
    book = load(info.provider)
    book.region(region)
    return book.oldest_seen(info.sections)


@exact
def bus_cost(target: str, events: float, event_bytes: float, *, deliveries: int = 1,
             free_tier: bool = True, region: str | None = None,
             book: PriceBook | None = None, plan: str | None = None) -> Bill:
    """A month of the target's event bus: `events` published, each `event_bytes`, each
    delivered to `deliveries` subscribers (EventBridge charges publishes only).
    """
    info = target_info(target, plan)
    prices = book_for(info, book)
    where = prices.region(region)
    args: dict[str, Any] = {
        "events": to_decimal(events, "events"),
        "event_bytes": to_decimal(event_bytes, "event_bytes"),
        "deliveries": to_decimal(deliveries, "deliveries"),
        "free_tier": free_tier,
    }
    priced = _module(info).price_bus(prices, where, **args)
    inputs = {"bus": info.bus, "events": events, "event_bytes": event_bytes,
              "deliveries": deliveries, "free_tier": free_tier}
    return make_bill(info, prices, where, inputs, priced, args["events"], sections=())


@exact
def front_cost(target: str, requests: float, *, front: str | None = None, request_bytes: float = 0,
               free_tier: bool = True, region: str | None = None,
               book: PriceBook | None = None, plan: str | None = None) -> Bill:
    """A month of the target's HTTP front (the chat platform's webhook calls).

    aws-lambda: front "function-url" (default, free) or "http-api" (API Gateway HTTP API).
    The other targets' HTTP triggers cost nothing beyond the invocation.
    """
    info = target_info(target, plan)
    chosen = info.fronts[0] if front is None else front
    if chosen not in info.fronts:
        raise PricingError(f"unknown {target} front {front!r}; choose one of: {', '.join(info.fronts)}")
    prices = book_for(info, book)
    where = prices.region(region)
    args: dict[str, Any] = {
        "front": chosen,
        "requests": to_decimal(requests, "requests"),
        "request_bytes": to_decimal(request_bytes, "request_bytes"),
        "free_tier": free_tier,
    }
    priced = _module(info).price_front(prices, where, **args)
    inputs = {"front": chosen, "requests": requests, "request_bytes": request_bytes, "free_tier": free_tier}
    return make_bill(info, prices, where, inputs, priced, args["requests"], sections=())
