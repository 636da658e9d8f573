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
from typing import Any

from core.role_table import HTTP_ROLES, PUBLISHING_ROLES, roles_of
from tooling.costing.figures import MessageMix, RoleFigures
from tooling.pricing import Workload, bus_cost, front_cost, plans, price_functions, smallest_memory_setting

HEADROOM = 1.25



@dataclass(frozen=True)
class BillingModel:
    """One way to pay for a target: its plan and the CPU architecture it is priced on."""

    target: str  # the registry's name, also the entrypoint whose measured code it runs
    plan: str
    arch: str

    @property
    def label(self) -> str:
        """How reports name it: "gcf gen2", "aws-lambda arm64"."""
        info = plans()[self.target, self.plan]
        return f"{info.name} {self.arch}" if len(info.arches) > 1 else info.name


def billing_models() -> dict[str, BillingModel]:
    """Every plan of every registry target on each architecture it prices, by label."""
    models = (BillingModel(info.target, info.plan, arch) for info in plans().values() for arch in info.arches)
    return {model.label: model for model in models}


PRICED_TARGETS: Mapping[str, BillingModel] = billing_models()
# The fixed-cost cluster each serverless bill is compared with ("Knative cheaper from").
CROSSOVER_TARGET = "knative"
KNATIVE = next(label for label, model in PRICED_TARGETS.items() if model.target == CROSSOVER_TARGET)


@dataclass(frozen=True)
class Estimate:
    """One billing model and topology at one monthly volume."""

    label: str  # e.g. "aws-lambda arm64"
    target: str  # the registry's target name
    plan: str
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


def _bills_observed_memory(model: BillingModel) -> bool:
    """True on a plan that bills the memory used, not a setting (azure consumption): price what was seen."""
    return plans()[model.target, model.plan].bills_observed_memory


def _role_shares(mix: MessageMix) -> dict[str, float]:
    return {"receive": 1.0, "parse": 1.0, "command": mix.command_share, "respond": mix.reply_share}


def monthly_cost(label: str, topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix,
                 messages: int, free_tier: bool = True, region: str | None = None) -> tuple[Decimal, dict[str, Any]]:
    """The month's exact total for `messages` chat messages, and the parts it is made of."""
    model = PRICED_TARGETS[label]
    target, plan, arch = model.target, model.plan, model.arch
    roles = roles_of(topology)
    observed = _bills_observed_memory(model)
    shares = {"mono": 1.0, **_role_shares(mix)}
    workloads, memory = [], {}
    for role in roles:
        measured = figures[role]
        memory[role] = smallest_memory_setting(target, measured.peak_rss_mb, HEADROOM, region=region, plan=plan)
        memory_priced = measured.peak_rss_mb if observed else memory[role]
        workloads.append(Workload(round(messages * shares[role]), measured.warm_mean_ms, memory_priced,
                                  name=role))
    compute = price_functions(target, workloads, arch=arch, free_tier=free_tier, region=region, plan=plan)
    parts = {"compute": compute}
    parts["front"] = front_cost(target, messages, free_tier=free_tier, region=region, plan=plan)
    if topology == "pipeline":
        published = [figures[r].published_bytes for r in roles if r in PUBLISHING_ROLES and figures[r].published_bytes]
        event_bytes = max(published) if published else 1024.0
        parts["bus"] = bus_cost(target, round(messages * mix.events_per_message()), event_bytes,
                                free_tier=free_tier, region=region, plan=plan)
    total = sum((bill.total_exact for bill in parts.values()), Decimal(0))
    return total, {"memory_mb": memory, "bills": parts}


def estimate(label: str, topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix,
             messages: int, region: str | None = None) -> Estimate:
    """The estimate of `label` in `topology` at `messages` a month, with and without free tiers."""
    model = PRICED_TARGETS[label]
    with_free, parts = monthly_cost(label, topology, figures, mix, messages, True, region)
    without_free, _ = monthly_cost(label, topology, figures, mix, messages, False, region)
    [front_role] = [role for role in roles_of(topology) if role in HTTP_ROLES]
    invocations = 1.0 if topology == "mono" else sum(_role_shares(mix).values())
    per_message = without_free / messages if messages else Decimal(0)
    front = figures[front_role]
    front_memory = front.peak_rss_mb if _bills_observed_memory(model) else parts["memory_mb"][front_role]
    billed = price_functions(model.target, [Workload(max(messages, 1), front.warm_mean_ms, front_memory)],
                             arch=model.arch, region=region, plan=model.plan).billed_ms_per_invocation
    return Estimate(
        label=label, target=model.target, plan=model.plan, topology=topology, messages=messages,
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
        theirs, _ = monthly_cost(KNATIVE, "mono", knative, mix, messages, True, region)
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
