"""Google: Cloud Functions 1st gen, Cloud Run functions (request-based), Pub/Sub, egress.

Both function products round up to 100 ms. Google's free tiers are spending-based
discounts valued at Tier 1 prices, so a line's free allowance is priced at the tier named
by `free_tier_basis`, not at the region's own price.
"""

from __future__ import annotations

from decimal import Decimal

from .book import Figure, PriceBook
from .model import MS_PER_S, ZERO, Line, PricingError, charge
from .targets import Priced, TargetInfo, Usage, billed_ms_on, price_http_trigger, price_instance_time


def memory_tier(book: PriceBook, region: str, product: str, need_mb: Decimal) -> Figure:
    """The smallest memory tier of gcf_gen1 / gcf_gen2 that holds need_mb."""
    tiers = book.figures(f"{product}.memory_tiers", region)
    for tier in tiers:
        if tier.number("memory_mb") >= need_mb:
            return tier
    sizes = ", ".join(str(t.number("memory_mb")) for t in tiers)
    raise PricingError(f"{product.replace('_', '-')} has no memory setting of {need_mb} MB or more; settings: {sizes}")


def gen1_memory_setting(book: PriceBook, region: str, need_mb: Decimal) -> int:
    """The smallest Cloud Functions 1st gen memory tier that holds need_mb."""
    return int(memory_tier(book, region, "gcf_gen1", need_mb).number("memory_mb"))


def gen2_memory_setting(book: PriceBook, region: str, need_mb: Decimal) -> int:
    """The smallest Cloud Run functions memory tier that holds need_mb."""
    return int(memory_tier(book, region, "gcf_gen2", need_mb).number("memory_mb"))


def _line(book: PriceBook, region: str, product: str, item: str, quantity: Decimal, unit: str,
          price_key: str, free_key: str, free_tier: bool) -> Line:
    """A line whose free allowance is valued at the free-tier basis tier's price."""
    price = book.figure(f"{product}.{price_key}", region)
    basis = book.figure(f"{product}.free_tier_basis", region).fields["price_tier"]
    basis_price = book.figure(f"{product}.{price_key}", region, tier=str(basis)).unit_price
    free = book.free(f"{product}.{free_key}", region, free_tier)
    return charge(item, "compute", quantity, unit, price, free, basis_price)


def price_gen1(usages: list[Usage], *, book: PriceBook, region: str, free_tier: bool,
               **_: object) -> Priced:
    """Cloud Functions 1st gen: GB-s + GHz-s of the memory tier, per 100 ms, + invocations."""
    mb_per_gb = book.figure("gcf_gen1.mb_per_gb", region).number()
    priced = Priced(lines=[])
    gb_s = ghz_s = requests = ZERO
    for usage in usages:
        tier = memory_tier(book, region, "gcf_gen1", usage.memory_mb)
        ms = billed_ms_on(book, region, "gcf_gen1", usage.duration_ms)
        run_s = usage.invocations * ms / MS_PER_S
        gb_s += run_s * tier.number("memory_mb") / mb_per_gb
        ghz_s += run_s * tier.number("ghz")
        requests += usage.invocations
        priced.memory_mb.append(int(tier.number("memory_mb")))
        priced.billed_ms.append(ms)
    args = (book, region, "gcf_gen1")
    priced.lines += [
        _line(*args, "memory", gb_s, "GB-s", "gb_second_price", "free_gb_seconds", free_tier),
        _line(*args, "CPU", ghz_s, "GHz-s", "ghz_second_price", "free_ghz_seconds", free_tier),
        charge("invocations", "requests", requests, "invocations",
               book.figure("gcf_gen1.request_price", region),
               book.free("gcf_gen1.free_requests", region, free_tier)),
    ]
    return priced


def price_gen2(usages: list[Usage], *, book: PriceBook, region: str, free_tier: bool,
               **_: object) -> Priced:
    """Cloud Run functions, request-based: instance busy time x (vCPU, GiB), per 100 ms."""
    return price_instance_time(usages, book, region, "gcf_gen2", free_tier, busy_lines)


def busy_lines(book: PriceBook, region: str, busy: list[tuple[Usage, Decimal]],
               free_tier: bool, memory_out: list[int]) -> list[Line]:
    """Request-based lines from each workload's instance busy seconds: vCPU-s, GiB-s, requests."""
    requests = sum((usage.invocations for usage, _ in busy), ZERO)
    return instance_lines(book, region, busy, free_tier, memory_out) + [
        charge("requests", "requests", requests, "requests",
               book.figure("gcf_gen2.request_price", region),
               book.free("gcf_gen2.free_requests", region, free_tier))]


def instance_lines(book: PriceBook, region: str, busy: list[tuple[Usage, Decimal]],
                   free_tier: bool, memory_out: list[int]) -> list[Line]:
    """vCPU-s and GiB-s lines for instance busy seconds of each workload."""
    mb_per_gb = book.figure("gcf_gen2.mb_per_gb", region).number()
    vcpu_s = gib_s = ZERO
    for usage, seconds in busy:
        tier = memory_tier(book, region, "gcf_gen2", usage.memory_mb)
        vcpu = tier.number("vcpu") if usage.vcpu is None else usage.vcpu
        vcpu_s += seconds * vcpu
        gib_s += seconds * tier.number("memory_mb") / mb_per_gb
        memory_out.append(int(tier.number("memory_mb")))
    args = (book, region, "gcf_gen2")
    return [
        _line(*args, "CPU", vcpu_s, "vCPU-s", "vcpu_second_price", "free_vcpu_seconds", free_tier),
        _line(*args, "memory", gib_s, "GiB-s", "gib_second_price", "free_gib_seconds", free_tier),
    ]


def price_pubsub(book: PriceBook, region: str, *, events: Decimal, event_bytes: Decimal,
                 deliveries: Decimal, free_tier: bool) -> Priced:
    """Pub/Sub: each publish and each delivery billed at >= 1,000 bytes, $/TiB, 10 GiB free."""
    size = max(event_bytes, book.figure("pubsub.minimum_bytes", region).number())
    volume = events * (1 + deliveries) * size
    line = charge("Pub/Sub publish + delivery throughput", "bus", volume, "bytes",
                  book.figure("pubsub.throughput_price", region),
                  book.free("pubsub.free_bytes", region, free_tier),
                  scale=book.figure("pubsub.bytes_per_tib", region).number())
    notes = ["event_bytes should count data + attributes + 20 bytes timestamp + message_id"]
    return Priced(lines=[line], notes=notes)


def price_egress(book: PriceBook, region: str, *, total_bytes: Decimal, free_tier: bool) -> Priced:
    """Cloud Functions 1st gen internet egress, per GB (2^30 bytes), 5 GB free."""
    per_gb = book.figure("gcf_gen1.bytes_per_gb", region).number()
    free_bytes = book.free("gcf_gen1.egress_free_gb", region, free_tier) * per_gb
    line = charge("internet egress", "egress", total_bytes, "bytes",
                  book.figure("gcf_gen1.egress_price", region), free_bytes, scale=per_gb)
    return Priced(lines=[line])


# An HTTP trigger costs nothing beyond the invocation or request fee.
price_front = price_http_trigger
price_bus = price_pubsub

# The plans of the registry's gcf target (tooling/targets.py).
PLANS = {
    "gen1": TargetInfo(
        "Cloud Functions 1st gen", "configured memory tier (CPU follows)", price_gen1, gen1_memory_setting,
        bus="Pub/Sub", sections=("gcf_gen1",),
    ),
    "gen2": TargetInfo(
        "Cloud Run functions (request-based)", "configured memory tier", price_gen2, gen2_memory_setting,
        takes_vcpu=True, takes_concurrency=True, bus="Pub/Sub", sections=("gcf_gen2",), instance_lines=busy_lines,
    ),
}
