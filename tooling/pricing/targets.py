"""The targets `botless cost` prices, and the normalised usage each pricer receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .book import PriceBook, load
from .model import Bill, Line, PricingError, to_decimal


@dataclass(frozen=True)
class Workload:
    """One function's month: how often it runs, for how long, on what size.

    memory_mb is configured memory, except on azure-consumption where it is the
    observed memory. vcpu applies to gcf-gen2 and knative-gke. concurrency is how many
    executions share one instance's billed time (gcf-gen2, azure-flex, knative-gke).
    """

    invocations: float | int | Decimal
    duration_ms: float | int | Decimal
    memory_mb: float | int | Decimal
    vcpu: float | int | Decimal | None = None
    concurrency: float | int | Decimal = 1
    name: str = ""


@dataclass(frozen=True)
class TargetInfo:
    """What a target is, which inputs it takes, and which bus and HTTP fronts it uses."""

    name: str
    provider: str  # the data file: tooling/pricing/data/<provider>.toml
    label: str
    memory: str  # what memory_mb means on this target
    arches: tuple[str, ...] = ("x86_64",)
    takes_vcpu: bool = False
    takes_concurrency: bool = False
    options: tuple[str, ...] = ()
    bus: str = ""
    fronts: tuple[str, ...] = ("http",)  # the first is the default
    sections: tuple[str, ...] = field(default=(), repr=False)  # data sections it reads


_TARGETS = (
    TargetInfo(
        "aws-lambda", "aws", "AWS Lambda", "configured memory, 128-10,240 MB in 1 MB steps",
        arches=("x86_64", "arm64"), options=("ephemeral_mb",), bus="EventBridge custom bus",
        fronts=("function-url", "http-api"), sections=("lambda",),
    ),
    TargetInfo(
        "gcf-gen1", "gcp", "Cloud Functions 1st gen", "configured memory tier (CPU follows)",
        bus="Pub/Sub", sections=("gcf_gen1",),
    ),
    TargetInfo(
        "gcf-gen2", "gcp", "Cloud Run functions (request-based)", "configured memory tier",
        takes_vcpu=True, takes_concurrency=True, bus="Pub/Sub", sections=("gcf_gen2",),
    ),
    TargetInfo(
        "azure-consumption", "azure", "Azure Functions Consumption",
        "observed memory (billed rounded up to 128 MB, capped at 1,536 MB)",
        bus="Event Grid", sections=("consumption",),
    ),
    TargetInfo(
        "azure-flex", "azure", "Azure Functions Flex Consumption", "instance memory 512/2048/4096 MB",
        takes_concurrency=True, bus="Event Grid", sections=("flex",),
    ),
    TargetInfo(
        "knative-gke", "knative", "Knative on GKE", "pod memory request (MiB)",
        takes_vcpu=True, takes_concurrency=True, options=("cluster",), bus="Knative Broker",
        sections=("cluster", "autopilot", "standard"),
    ),
)

TARGETS: Mapping[str, TargetInfo] = MappingProxyType({t.name: t for t in _TARGETS})


def target_info(target: str) -> TargetInfo:
    """The TargetInfo of a target name, or a PricingError naming the valid ones."""
    try:
        return TARGETS[target]
    except (KeyError, TypeError):
        raise PricingError(f"unknown target {target!r}; choose one of: {', '.join(TARGETS)}") from None


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


def check_usage(info: TargetInfo, workload: Workload, arch: str, options: dict[str, Any]) -> Usage:
    """Validate one workload against what the target accepts."""
    if arch not in info.arches:
        raise PricingError(f"{info.name} does not price arch {arch!r}; choose one of: {', '.join(info.arches)}")
    for name, value in options.items():
        if value is not None and name not in info.options:
            allowed = ", ".join(t.name for t in _TARGETS if name in t.options)
            raise PricingError(f"{name} applies only to {allowed}, not {info.name}")
    if workload.vcpu is not None and not info.takes_vcpu:
        allowed = ", ".join(t.name for t in _TARGETS if t.takes_vcpu)
        raise PricingError(f"vcpu applies only to {allowed}; {info.name} sets CPU from memory")
    concurrency = to_decimal(workload.concurrency, "concurrency")
    if concurrency < 1:
        raise PricingError(f"concurrency must be >= 1, got {workload.concurrency!r}")
    if concurrency != 1 and not info.takes_concurrency:
        allowed = ", ".join(t.name for t in _TARGETS if t.takes_concurrency)
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
        target=info.name,
        region=region,
        price_date=book.oldest_seen(info.sections if sections is None else sections),
        inputs=inputs,
        lines=tuple(priced.lines),
        invocations=invocations,
        memory_mb=priced.memory_mb[0] if len(priced.memory_mb) == 1 else None,
        billed_ms_per_invocation=priced.billed_ms[0] if len(priced.billed_ms) == 1 else None,
        notes=tuple(priced.notes),
    )
