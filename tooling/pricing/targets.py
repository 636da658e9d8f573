"""The plans `botless cost` prices, per registry target, and the normalised usage each pricer receives."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any

from tooling import targets as registry

from .book import PriceBook, load
from .model import MS_PER_S, Bill, Line, PricingError, billed_ms, charge, to_decimal


@dataclass(frozen=True)
class Workload:
    """One function's month: how often it runs, for how long, on what size.

    memory_mb is configured memory, except on azure consumption where it is the
    observed memory. vcpu applies to gcf gen2 and knative. concurrency is how many
    executions share one instance's billed time (gcf gen2, azure flex, knative).
    """

    invocations: float | int | Decimal
    duration_ms: float | int | Decimal
    memory_mb: float | int | Decimal
    vcpu: float | int | Decimal | None = None
    concurrency: float | int | Decimal = 1
    name: str = ""


@dataclass(frozen=True)
class TargetInfo:
    """How one plan of a target bills: its inputs, its bus and HTTP fronts, its pricers.

    Each pricing module (tooling/pricing/<Target.pricing>.py) declares PLANS, its plan
    name -> TargetInfo; `target`, `plan` and `provider` are filled in from the registry.
    """

    label: str
    memory: str  # what memory_mb means on this target
    price: Callable[..., Priced]  # (usages, book=, region=, arch=, free_tier=, **options) -> Priced
    memory_setting: Callable[[PriceBook, str, Decimal], int]  # the smallest setting holding a need
    arches: tuple[str, ...] = ("x86_64",)
    takes_vcpu: bool = False
    takes_concurrency: bool = False
    options: tuple[str, ...] = ()
    bus: str = ""
    fronts: tuple[str, ...] = ("http",)  # the first is the default
    sections: tuple[str, ...] = field(default=(), repr=False)  # data sections it reads
    bills_observed_memory: bool = False  # memory_mb is what ran, not a setting (azure consumption)
    # Measured instance busy time, where the plan bills instances (gcf gen2, azure flex).
    instance_lines: InstanceLines | None = field(default=None, repr=False)
    target: str = ""  # the registry's name (tooling/targets.py)
    plan: str = ""  # "" for a target that bills one way
    provider: str = ""  # the pricing module and data file: tooling/pricing/data/<provider>.toml

    @property
    def name(self) -> str:
        """The target and its plan, as reports show them: "gcf gen2", "aws-lambda"."""
        return f"{self.target} {self.plan}" if self.plan else self.target


@cache
def _plans() -> Mapping[tuple[str, str], TargetInfo]:
    # Imported here: the pricing modules import this one for Priced and Usage.
    table: dict[tuple[str, str], TargetInfo] = {}
    for target in registry.TARGETS:
        declared: Mapping[str, TargetInfo] = importlib.import_module(f"{__package__}.{target.pricing}").PLANS
        if set(declared) != set(target.plans or ("",)):
            raise RuntimeError(f"tooling/pricing/{target.pricing}.py prices plans {sorted(declared)}, "
                               f"the registry says {target.name} has {sorted(target.plans or ('',))}")
        for plan in target.plans or ("",):
            table[target.name, plan] = replace(declared[plan], target=target.name, plan=plan,
                                               provider=target.pricing)
    return MappingProxyType(table)


def plans() -> Mapping[tuple[str, str], TargetInfo]:
    """Every (target, plan) `botless cost` prices, in registry order, the deployed plan first."""
    return _plans()


def target_info(target: str, plan: str | None = None) -> TargetInfo:
    """The TargetInfo of a target and plan (None: the deployed one), or a PricingError naming the valid ones."""
    try:
        entry = registry.target_named(target)
        return _plans()[entry.name, entry.plan(plan)]
    except (registry.UnknownTargetError, TypeError) as error:
        message = str(error) if isinstance(error, registry.UnknownTargetError) else f"unknown target {target!r}"
        raise PricingError(message) from None


@dataclass(frozen=True)
class Usage:
    """A Workload checked and converted to Decimals."""

    name: str
    invocations: Decimal
    duration_ms: Decimal
    memory_mb: Decimal
    vcpu: Decimal | None
    concurrency: Decimal


@dataclass
class Priced:
    """What a provider's pricer returns: lines, notes, and per-workload settings."""

    lines: list[Line]
    notes: list[str] = field(default_factory=list)
    memory_mb: list[int] = field(default_factory=list)
    billed_ms: list[Decimal] = field(default_factory=list)


def billed_ms_on(book: PriceBook, region: str, section: str, duration_ms: Decimal) -> Decimal:
    """One run's billed time on the plan of data section `section`: its `rounding_ms` step, its `minimum_ms`."""
    return billed_ms(duration_ms, book.figure(f"{section}.rounding_ms", region).number(),
                     book.figure(f"{section}.minimum_ms", region).number())


InstanceLines = Callable[[PriceBook, str, list[tuple[Usage, Decimal]], bool, list[int]], list[Line]]


def price_instance_time(usages: list[Usage], book: PriceBook, region: str, section: str, free_tier: bool,
                        instance_lines: InstanceLines) -> Priced:
    """A plan that bills an instance's busy time: `instance_lines` priced on each workload's busy seconds.

    Each run is billed as the plan rounds it, and `concurrency` runs share one
    instance's time (gcf gen2: PRICING.md section 3.3; azure flex, where it is the
    upper bound for sparse chat traffic: section 6).
    """
    priced = Priced(lines=[])
    busy = []
    for usage in usages:
        ms = billed_ms_on(book, region, section, usage.duration_ms)
        busy.append((usage, usage.invocations / usage.concurrency * ms / MS_PER_S))
        priced.billed_ms.append(ms)
    priced.lines += instance_lines(book, region, busy, free_tier, priced.memory_mb)
    return priced


def price_http_trigger(book: PriceBook, region: str, *, front: str, requests: Decimal,
                       request_bytes: Decimal, free_tier: bool) -> Priced:
    """A function's own HTTP trigger: `http_front.request_price` a request (gcf, azure: none beyond the invocation)."""
    return Priced(lines=[charge("HTTP trigger requests", "front", requests, "requests",
                                book.figure("http_front.request_price", region))])


def check_usage(info: TargetInfo, workload: Workload, arch: str, options: dict[str, Any]) -> Usage:
    """Validate one workload against what the target accepts."""
    if arch not in info.arches:
        raise PricingError(f"{info.name} does not price arch {arch!r}; choose one of: {', '.join(info.arches)}")
    for name, value in options.items():
        if value is not None and name not in info.options:
            allowed = ", ".join(t.name for t in _plans().values() if name in t.options)
            raise PricingError(f"{name} applies only to {allowed}, not {info.name}")
    if workload.vcpu is not None and not info.takes_vcpu:
        allowed = ", ".join(t.name for t in _plans().values() if t.takes_vcpu)
        raise PricingError(f"vcpu applies only to {allowed}; {info.name} sets CPU from memory")
    concurrency = to_decimal(workload.concurrency, "concurrency")
    if concurrency < 1:
        raise PricingError(f"concurrency must be >= 1, got {workload.concurrency!r}")
    if concurrency != 1 and not info.takes_concurrency:
        allowed = ", ".join(t.name for t in _plans().values() if t.takes_concurrency)
        raise PricingError(f"concurrency applies only to {allowed}; {info.name} bills each invocation alone")
    vcpu = None if workload.vcpu is None else to_decimal(workload.vcpu, "vcpu")
    if vcpu is not None and vcpu <= 0:
        raise PricingError(f"vcpu must be > 0, got {workload.vcpu!r}")
    return Usage(
        name=workload.name,
        invocations=to_decimal(workload.invocations, "invocations"),
        duration_ms=to_decimal(workload.duration_ms, "duration_ms"),
        memory_mb=to_decimal(workload.memory_mb, "memory_mb"),
        vcpu=vcpu,
        concurrency=concurrency,
    )


def book_for(info: TargetInfo, book: PriceBook | None) -> PriceBook:
    """The price book to use: the one given, else the target's shipped data file."""
    return book if book is not None else load(info.provider)


def make_bill(info: TargetInfo, book: PriceBook, region: str, inputs: dict[str, Any], priced: Priced,
              invocations: Decimal, sections: tuple[str, ...] | None = None) -> Bill:
    """Wrap a pricer's result into a Bill dated by its data sections' oldest figure."""
    return Bill(
        target=info.target,
        plan=info.plan,
        region=region,
        price_date=book.oldest_seen(info.sections if sections is None else sections),
        inputs=inputs,
        lines=tuple(priced.lines),
        invocations=invocations,
        memory_mb=priced.memory_mb[0] if len(priced.memory_mb) == 1 else None,
        billed_ms_per_invocation=priced.billed_ms[0] if len(priced.billed_ms) == 1 else None,
        notes=tuple(priced.notes),
    )
