"""Price measured figures on each billing model: per invocation, per chat message, per month.

The measured mean duration is what a month of invocations adds up to, so it is what is
priced; the memory priced is the smallest setting of the target that holds the measured
peak with headroom. The pipeline also pays its bus (three hops at most per message)
and every topology its HTTP front.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tooling.costing.figures import MessageMix, RoleFigures
from tooling.pricing import Workload, bus_cost, front_cost, price_functions, smallest_memory_setting

HEADROOM = 1.25

# Billing model -> (the entrypoint whose code it runs, the architecture it is priced on).
PRICED_TARGETS: Mapping[str, tuple[str, str, str]] = {
    "aws-lambda x86_64": ("aws-lambda", "aws-lambda", "x86_64"),
    "aws-lambda arm64": ("aws-lambda", "aws-lambda", "arm64"),
    "gcf-gen1": ("gcf-gen1", "gcf", "x86_64"),
    "gcf-gen2": ("gcf-gen2", "gcf", "x86_64"),
    "azure-consumption": ("azure-consumption", "azure", "x86_64"),
    "azure-flex": ("azure-flex", "azure", "x86_64"),
    "knative-gke": ("knative-gke", "knative", "x86_64"),
}
PIPELINE_ROLES = ("receive", "parse", "command", "respond")


@dataclass(frozen=True)
class Estimate:
    """One billing model and topology at one monthly volume."""

    label: str  # e.g. "aws-lambda arm64"
    target: str  # the pricing target name
    topology: str
    messages: int
    memory_mb: int
    billed_ms: float  # per invocation, of the HTTP-facing function (mono or receive)
    invocations_per_message: float
    per_invocation_usd: Decimal
    per_message_usd: Decimal
    monthly_usd: Decimal
    monthly_no_free_tier_usd: Decimal

    def to_dict(self) -> dict[str, object]:
        return {key: (float(value) if isinstance(value, Decimal) else value)
                for key, value in self.__dict__.items()}


def _role_shares(mix: MessageMix) -> dict[str, float]:
    return {"receive": 1.0, "parse": 1.0, "command": mix.command_share, "respond": mix.reply_share}


def monthly_cost(label: str, topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix,
                 messages: int, free_tier: bool = True, region: str | None = None) -> tuple[Decimal, dict]:
    """The month's exact total for `messages` chat messages, and the parts it is made of."""
    target, _, arch = PRICED_TARGETS[label]
    roles = ("mono",) if topology == "mono" else PIPELINE_ROLES
    shares = {"mono": 1.0, **_role_shares(mix)}
    workloads, memory = [], {}
    for role in roles:
        measured = figures[role]
        memory[role] = smallest_memory_setting(target, measured.peak_rss_mb, HEADROOM, region=region)
        # azure-consumption bills observed memory, not a setting: price what was seen.
        memory_priced = measured.peak_rss_mb if target == "azure-consumption" else memory[role]
        workloads.append(Workload(round(messages * shares[role]), measured.warm_mean_ms, memory_priced,
                                  name=role))
    compute = price_functions(target, workloads, arch=arch, free_tier=free_tier, region=region)
    parts = {"compute": compute}
    parts["front"] = front_cost(target, messages, free_tier=free_tier, region=region)
    if topology == "pipeline":
        published = [figures[r].published_bytes for r in ("receive", "parse", "command") if figures[r].published_bytes]
        event_bytes = max(published) if published else 1024.0
        parts["bus"] = bus_cost(target, round(messages * mix.events_per_message()), event_bytes,
                                free_tier=free_tier, region=region)
    total = sum((bill.total_exact for bill in parts.values()), Decimal(0))
    return total, {"memory_mb": memory, "bills": parts}


def estimate(label: str, topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix,
             messages: int, region: str | None = None) -> Estimate:
    """The estimate of `label` in `topology` at `messages` a month, with and without free tiers."""
    target = PRICED_TARGETS[label][0]
    with_free, parts = monthly_cost(label, topology, figures, mix, messages, True, region)
    without_free, _ = monthly_cost(label, topology, figures, mix, messages, False, region)
    front_role = "mono" if topology == "mono" else "receive"
    invocations = 1.0 if topology == "mono" else sum(_role_shares(mix).values())
    per_message = without_free / messages if messages else Decimal(0)
    front = figures[front_role]
    front_memory = front.peak_rss_mb if target == "azure-consumption" else parts["memory_mb"][front_role]
    billed = price_functions(target, [Workload(max(messages, 1), front.warm_mean_ms, front_memory)],
                             arch=PRICED_TARGETS[label][2], region=region).billed_ms_per_invocation
    return Estimate(
        label=label, target=target, topology=topology, messages=messages,
        memory_mb=parts["memory_mb"][front_role],
        billed_ms=float(billed) if billed is not None else figures[front_role].warm_mean_ms,
        invocations_per_message=invocations,
        per_invocation_usd=per_message / Decimal(str(invocations)),
        per_message_usd=per_message,
        monthly_usd=with_free,
        monthly_no_free_tier_usd=without_free,
    )


def crossover(label: str, topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix,
              knative: Mapping[str, RoleFigures], region: str | None = None,
              ceiling: int = 10**11) -> int | None:
    """The monthly volume from which Knative (mono, fixed cluster) costs less than `label`."""
    def cheaper(messages: int) -> bool:
        ours, _ = monthly_cost(label, topology, figures, mix, messages, True, region)
        theirs, _ = monthly_cost("knative-gke", "mono", knative, mix, messages, True, region)
        return theirs < ours

    low, high = 1, 1000
    while not cheaper(high):
        if high >= ceiling:
            return None
        low, high = high, high * 10
    while high - low > max(1, low // 1000):  # to three significant figures
        middle = (low + high) // 2
        low, high = (low, middle) if cheaper(middle) else (middle, high)
    return high
