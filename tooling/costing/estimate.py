"""Price measured figures on each billing model: per invocation, per chat message, per month.

The measured mean duration is what a month of invocations adds up to, so it is what is
priced; the memory priced is the smallest setting of the target that holds the measured
peak with headroom. The pipeline also pays its bus (three hops at most per message)
and every topology its HTTP front. Each message also pays what its invocations were
counted causing (RoleFigures.caused): the dedupe store's calls, the second invocation of
each deferral, and the chat secrets read at each cold start. The log lines a message writes
are counted too but not priced: no log-ingestion price with a source is in the price data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.role_table import HTTP_ROLES, PUBLISHING_ROLES, roles_of
from tooling.costing.figures import MessageMix, RoleFigures
from tooling.pricing import (
    SecretReads,
    StoreOps,
    Workload,
    bus_cost,
    front_cost,
    plans,
    price_functions,
    secrets_cost,
    smallest_memory_setting,
    store_cost,
)

HEADROOM = 1.25
# An assumption, not a measure: how often a function's instance starts cold. The secrets are
# read at each start; the per-cold-start figures are reported, so other rates can be priced.
COLD_STARTS_PER_INVOCATION = 0.01
# providers/aws/dedupe.py's item besides its key's value: the attribute names and the values of
# expires, state and owner (67 bytes today; tests/cost/test_store_units.py checks the bound).
ITEM_OVERHEAD_BYTES = 128



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
    store_ops_per_message: dict[str, float]  # the dedupe store's calls (core/dedupe.py's protocol)
    store_usd_per_message: Decimal  # no free tier
    deferred_invocations_per_message: float
    secret_reads_per_cold_start: dict[str, float]  # of the HTTP-facing function (references: per day)
    secrets_usd_per_cold_start: Decimal  # no free tier
    secrets_monthly_usd: Decimal  # free tiers applied, at COLD_STARTS_PER_INVOCATION
    log_lines_per_message: float  # of every role the message invokes; not priced
    log_bytes_per_message: float
    per_invocation_usd: Decimal
    per_message_usd: Decimal
    monthly_usd: Decimal
    monthly_no_free_tier_usd: Decimal

    def to_dict(self) -> dict[str, object]:
        return {key: (float(value) if isinstance(value, Decimal) else value)
                for key, value in self.__dict__.items()}


def _invocations(topology: str, role: str, figures: Mapping[str, RoleFigures], mix: MessageMix) -> float:
    """Invocations of `role` per chat message: its share of the mix, and mono's deferrals run again."""
    if role == "mono":
        return 1.0 + figures["mono"].caused.deferrals
    return _role_shares(mix)[role]


def _item_bytes(figures: Mapping[str, RoleFigures], topology: str) -> int:
    """The largest store record of the topology: its longest key claimed and the item's other attributes."""
    return max(figures[role].caused.key_bytes for role in roles_of(topology)) + ITEM_OVERHEAD_BYTES


def store_ops(topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix, messages: float) -> StoreOps:
    """The dedupe store's calls of `messages` chat messages, from each role's counted calls."""
    totals = dict.fromkeys(("claims", "fresh", "confirms", "releases", "lookups"), 0.0)
    for role in roles_of(topology):
        caused, runs = figures[role].caused, messages * _invocations(topology, role, figures, mix)
        for name, per_run in (("claims", caused.claims), ("fresh", caused.fresh_claims),
                              ("confirms", caused.confirms), ("releases", caused.releases),
                              ("lookups", caused.lookups)):
            totals[name] += runs * per_run
    return StoreOps(**totals)


def log_volume(topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix) -> tuple[float, float]:
    """The log lines and bytes of one chat message: each role's own per invocation, at its invocations."""
    lines = size = 0.0
    for role in roles_of(topology):
        caused, runs = figures[role].caused, _invocations(topology, role, figures, mix)
        lines += runs * caused.log_lines
        size += runs * caused.log_bytes
    return lines, size


def secret_reads(topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix, messages: float,
                 cold_starts_per_invocation: float = COLD_STARTS_PER_INVOCATION) -> tuple[SecretReads, float]:
    """The chat secrets' reads of a month (each role's per cold start, at its cold starts), and
    the Key Vault references of the function app (azure; one app holds every role).
    """
    calls = values = references = 0.0
    for role in roles_of(topology):
        caused = figures[role].caused
        starts = messages * _invocations(topology, role, figures, mix) * cold_starts_per_invocation
        calls += starts * caused.secret_calls
        values += starts * caused.secret_values
        references = max(references, caused.secret_references)
    return SecretReads(api_calls=round(calls), secure_strings=round(values)), references


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
    workloads, memory = [], {}
    for role in roles:
        measured = figures[role]
        memory[role] = smallest_memory_setting(target, measured.peak_rss_mb, HEADROOM, region=region, plan=plan)
        memory_priced = measured.peak_rss_mb if observed else memory[role]
        # A deferred command's second invocation is priced like the first (its duration is not measured apart).
        workloads.append(Workload(round(messages * _invocations(topology, role, figures, mix)),
                                  measured.warm_mean_ms, memory_priced, name=role))
    compute = price_functions(target, workloads, arch=arch, free_tier=free_tier, region=region, plan=plan)
    parts = {"compute": compute}
    parts["front"] = front_cost(target, messages, free_tier=free_tier, region=region, plan=plan)
    if topology == "pipeline":
        published = [figures[r].published_bytes for r in roles if r in PUBLISHING_ROLES and figures[r].published_bytes]
        event_bytes = max(published) if published else 1024.0
        parts["bus"] = bus_cost(target, round(messages * mix.events_per_message()), event_bytes,
                                free_tier=free_tier, region=region, plan=plan)
    parts["store"] = store_cost(target, store_ops(topology, figures, mix, messages),
                                item_bytes=_item_bytes(figures, topology),
                                free_tier=free_tier, region=region, plan=plan)
    reads, references = secret_reads(topology, figures, mix, messages)
    parts["secrets"] = secrets_cost(target, reads, references=references, free_tier=free_tier, region=region,
                                    plan=plan)
    total = sum((bill.total_exact for bill in parts.values()), Decimal(0))
    return total, {"memory_mb": memory, "bills": parts}


def estimate(label: str, topology: str, figures: Mapping[str, RoleFigures], mix: MessageMix,
             messages: int, region: str | None = None) -> Estimate:
    """The estimate of `label` in `topology` at `messages` a month, with and without free tiers."""
    model = PRICED_TARGETS[label]
    with_free, parts = monthly_cost(label, topology, figures, mix, messages, True, region)
    without_free, _ = monthly_cost(label, topology, figures, mix, messages, False, region)
    [front_role] = [role for role in roles_of(topology) if role in HTTP_ROLES]
    invocations = sum(_invocations(topology, role, figures, mix) for role in roles_of(topology))
    store_ops_each = store_ops(topology, figures, mix, 1)
    store_each = store_cost(model.target, store_ops_each, item_bytes=_item_bytes(figures, topology),
                            free_tier=False, region=region, plan=model.plan)
    front_caused = figures[front_role].caused
    one_start = secrets_cost(model.target, SecretReads(front_caused.secret_calls, front_caused.secret_values),
                             free_tier=False, region=region, plan=model.plan)
    per_message = without_free / messages if messages else Decimal(0)
    front = figures[front_role]
    front_memory = front.peak_rss_mb if _bills_observed_memory(model) else parts["memory_mb"][front_role]
    billed = price_functions(model.target, [Workload(max(messages, 1), front.warm_mean_ms, front_memory)],
                             arch=model.arch, region=region, plan=model.plan).billed_ms_per_invocation
    log_lines, log_bytes = log_volume(topology, figures, mix)
    return Estimate(
        label=label, target=model.target, plan=model.plan, topology=topology, messages=messages,
        memory_mb=parts["memory_mb"][front_role],
        billed_ms=float(billed) if billed is not None else figures[front_role].warm_mean_ms,
        invocations_per_message=invocations,
        store_ops_per_message={name: float(value) for name, value in vars(store_ops_each).items()},
        store_usd_per_message=store_each.total_exact,
        deferred_invocations_per_message=figures["mono"].caused.deferrals if topology == "mono" else 0.0,
        secret_reads_per_cold_start={"calls": front_caused.secret_calls, "secure_strings": front_caused.secret_values,
                                     "references": front_caused.secret_references},
        secrets_usd_per_cold_start=one_start.total_exact,
        secrets_monthly_usd=parts["bills"]["secrets"].total_exact,
        log_lines_per_message=log_lines,
        log_bytes_per_message=log_bytes,
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
