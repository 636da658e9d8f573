"""Knative on GKE: a fixed monthly cluster cost shared by every message, plus pod time.

Autopilot bills the resource requests of scheduled pods per second: the Knative system
pods all month (fixed) and the Botless pods while they serve (variable). Standard bills
its nodes all month whatever the traffic, so the variable part is zero until they fill
(PRICING.md section 8.2).
"""

from __future__ import annotations

from decimal import Decimal

from .book import PriceBook
from .model import MS_PER_S, ZERO, Line, PricingError, ceil_to, charge
from .targets import Priced, TargetInfo, Usage

SECONDS_PER_HOUR = Decimal(3600)


def cluster_mode(book: PriceBook, region: str, cluster: object) -> str:
    """The cluster mode to price: the data file's default, or a known one."""
    mode = book.figure("cluster.mode", region).fields
    choices = list(mode["choices"])
    chosen = mode["default"] if cluster is None else cluster
    if chosen not in choices:
        raise PricingError(f"unknown knative cluster {cluster!r}; choose one of: {', '.join(choices)}")
    return str(chosen)


def memory_setting(book: PriceBook, region: str, need_mb: Decimal) -> int:
    """The pod memory request (MiB) that holds need_mb."""
    step = book.figure("autopilot.pod_memory_step_mb", region).number()
    return int(max(step, ceil_to(need_mb, step)))


def fixed_lines(book: PriceBook, region: str, mode: str, free_tier: bool) -> list[Line]:
    """The month's traffic-independent charges of one zonal or Autopilot cluster."""
    hours = book.figure("cluster.hours_per_month", region).number()
    fee = book.figure("cluster.fee", region)
    credit = book.free("cluster.free_credit", region, free_tier)
    lines = [charge("GKE cluster management fee", "fixed", hours, "cluster-hours", fee,
                    credit / fee.unit_price if fee.unit_price else ZERO)]
    if mode == "autopilot":
        pods = book.figures("cluster.system_pods", region)
        mb_per_gb = book.figure("cluster.mb_per_gb", region).number()
        vcpu = sum((pod.number("vcpu") for pod in pods), ZERO)
        gib = sum((pod.number("memory_mb") for pod in pods), ZERO) / mb_per_gb
        names = ", ".join(str(pod.fields["name"]) for pod in pods)
        note = f"Knative Serving pods ({names}); the networking layer (Kourier/Istio) is not included"
        lines += [
            charge("Knative system pods, vCPU", "fixed", vcpu * hours, "vCPU-hours",
                   book.figure("autopilot.vcpu_hour_price", region), note=note),
            charge("Knative system pods, memory", "fixed", gib * hours, "GiB-hours",
                   book.figure("autopilot.gib_hour_price", region), note=note),
        ]
    else:
        nodes = book.figure("standard.nodes", region).number()
        lines.append(charge(f"{nodes} nodes", "fixed", nodes * hours, "node-hours",
                            book.figure("standard.node_hour_price", region)))
    lines.append(charge("load balancer (ingress)", "fixed", Decimal(1), "month",
                        book.figure("cluster.load_balancer", region)))
    return lines


def price_knative(usages: list[Usage], *, book: PriceBook, region: str, free_tier: bool,
                  cluster: object = None, **_: object) -> Priced:
    """Fixed cluster cost + (Autopilot) requested vCPU and GiB of pods while serving."""
    mode = cluster_mode(book, region, cluster)
    priced = Priced(lines=fixed_lines(book, region, mode, free_tier))
    mb_per_gb = book.figure("cluster.mb_per_gb", region).number()
    default_vcpu = book.figure("autopilot.pod_vcpu", region).number()
    vcpu_h = gib_h = busy_s = ZERO
    for usage in usages:
        memory = memory_setting(book, region, usage.memory_mb)
        vcpu = default_vcpu if usage.vcpu is None else usage.vcpu
        # Concurrent requests share one pod's time; GKE bills per second, no minimum.
        hours = usage.invocations / usage.concurrency * usage.duration_ms / MS_PER_S / SECONDS_PER_HOUR
        vcpu_h += hours * vcpu
        gib_h += hours * memory / mb_per_gb
        busy_s += usage.invocations * usage.duration_ms / MS_PER_S
        priced.memory_mb.append(memory)
        priced.billed_ms.append(usage.duration_ms)
    if mode == "autopilot":
        priced.lines += [
            charge("Botless pods, vCPU", "compute", vcpu_h, "vCPU-hours",
                   book.figure("autopilot.vcpu_hour_price", region)),
            charge("Botless pods, memory", "compute", gib_h, "GiB-hours",
                   book.figure("autopilot.gib_hour_price", region)),
        ]
        priced.notes.append("pods are billed while serving; the idle time before scale-to-zero is not")
    else:
        month_s = book.figure("cluster.hours_per_month", region).number() * SECONDS_PER_HOUR
        priced.notes.append(f"Botless pods run on the fixed nodes: {busy_s / month_s:.3f} requests "
                            "in flight on average; check the nodes can hold the peak")
    return priced


def cluster_fee(book: PriceBook, region: str, *, regional_hours: Decimal, zonal_hours: Decimal,
                free_zonal_hours: Decimal | None = None) -> Decimal:
    """The GKE management fee of a billing account: regional hours + zonal hours past the free ones.

    free_zonal_hours defaults to the credit's worth (74.40 / 0.10 = 744 h); the older page
    exempted the month's hours instead (720 in a 30-day month).
    """
    fee = book.figure("cluster.fee", region).unit_price
    if free_zonal_hours is None:
        free_zonal_hours = book.figure("cluster.free_credit", region).number() / fee
    return (regional_hours + max(ZERO, zonal_hours - free_zonal_hours)) * fee


def price_free(book: PriceBook, region: str, *, key: str, item: str, category: str,
               count: Decimal) -> Priced:
    """The Broker and the HTTP front: no per-event charge (they are in the fixed part)."""
    return Priced(lines=[charge(item, category, count, "events" if category == "bus" else "requests",
                                book.figure(key, region))],
                  notes=["included in the cluster's fixed cost"])


def price_bus(book: PriceBook, region: str, *, events: Decimal, event_bytes: Decimal, deliveries: Decimal,
              free_tier: bool) -> Priced:
    """The Broker's events: free beyond the cluster, priced at zero so the bill says so."""
    return price_free(book, region, key="broker.event_price", item="Knative Broker events", category="bus",
                      count=events)


def price_front(book: PriceBook, region: str, *, front: str, requests: Decimal, request_bytes: Decimal,
                free_tier: bool) -> Priced:
    """The cluster's ingress: no per-request charge beyond the cluster."""
    return price_free(book, region, key="http_front.request_price", item="HTTP requests", category="front",
                      count=requests)


# The plans of the registry's knative target (tooling/targets.py): where the cluster runs.
PLANS = {
    "gke": TargetInfo(
        "Knative on GKE", "pod memory request (MiB)", price_knative, memory_setting,
        takes_vcpu=True, takes_concurrency=True, options=("cluster",), bus="Knative Broker",
        sections=("cluster", "autopilot", "standard"),
    ),
}
