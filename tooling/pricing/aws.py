"""AWS Lambda (1 ms rounding, GB-s tiered per architecture), EventBridge and HTTP fronts."""

from __future__ import annotations

from decimal import Decimal

from .book import PriceBook
from .model import MS_PER_S, ZERO, Line, PricingError, ceil_to, charge, tiered, to_decimal
from .targets import Priced, TargetInfo, Usage, billed_ms_on


def memory_setting(book: PriceBook, region: str, need_mb: Decimal) -> int:
    """The smallest Lambda memory setting that holds need_mb."""
    limits = book.figure("lambda.memory_mb", region)
    low, high = limits.value
    setting = max(low, ceil_to(need_mb, limits.number("step")))
    if setting > high:
        raise PricingError(f"aws-lambda memory {need_mb} MB is above the largest setting, {high} MB")
    return int(setting)


def price_lambda(usages: list[Usage], *, book: PriceBook, region: str, arch: str,
                 free_tier: bool, ephemeral_mb: object = None) -> Priced:
    """Price Lambda on-demand: Σ GB-s (free 400,000, then tiers), requests (free 1M)."""
    mb_per_gb = book.figure("lambda.mb_per_gb", region).number()
    priced = Priced(lines=[])
    gb_seconds = requests = seconds = ZERO
    for usage in usages:
        memory = memory_setting(book, region, usage.memory_mb)
        ms = billed_ms_on(book, region, "lambda", usage.duration_ms)
        run_s = usage.invocations * ms / MS_PER_S
        gb_seconds += run_s * memory / mb_per_gb
        seconds += run_s
        requests += usage.invocations
        priced.memory_mb.append(memory)
        priced.billed_ms.append(ms)
    priced.lines += tiered("duration", "compute", gb_seconds, "GB-s",
                           book.figures(f"lambda.duration.{arch}", region),
                           book.free("lambda.free_gb_seconds", region, free_tier))
    priced.lines.append(charge("requests", "requests", requests, "requests",
                               book.figure("lambda.request_price", region),
                               book.free("lambda.free_requests", region, free_tier)))
    if ephemeral_mb is not None:
        priced.lines.append(_ephemeral(book, region, to_decimal(ephemeral_mb, "ephemeral_mb"),
                                       seconds, mb_per_gb))
    priced.notes.append("async events over 256 KB add a request per 64 KB; not modelled")
    return priced


def _ephemeral(book: PriceBook, region: str, ephemeral: Decimal, seconds: Decimal,
               mb_per_gb: Decimal) -> Line:
    included, largest = book.figure("lambda.ephemeral_mb", region).value
    if not included <= ephemeral <= largest:
        raise PricingError(f"ephemeral_mb must be between {included} and {largest}, got {ephemeral}")
    extra_gb_s = seconds * (ephemeral - included) / mb_per_gb
    return charge("ephemeral storage above 512 MB", "storage", extra_gb_s, "GB-s",
                  book.figure("lambda.ephemeral_price", region))


def price_provisioned(book: PriceBook, region: str, *, arch: str, concurrency: Decimal,
                      enabled_s: Decimal, memory_mb: Decimal, invocations: Decimal,
                      duration_ms: Decimal) -> Priced:
    """Price provisioned concurrency: configured GB-s, GB-s run on it, its requests (no free tier)."""
    memory = memory_setting(book, region, memory_mb)
    gb = memory / book.figure("lambda.mb_per_gb", region).number()
    enabled = ceil_to(enabled_s, book.figure("lambda.provisioned_rounding_s", region).number())
    ms = billed_ms_on(book, region, "lambda", duration_ms)
    lines = [
        charge("provisioned concurrency", "fixed", concurrency * gb * enabled, "GB-s",
               book.figure(f"lambda.provisioned.{arch}", region)),
        charge("duration on provisioned concurrency", "compute", invocations * ms / MS_PER_S * gb,
               "GB-s", book.figure(f"lambda.provisioned_duration.{arch}", region)),
        charge("requests", "requests", invocations, "requests",
               book.figure("lambda.request_price", region)),
    ]
    notes = ["the free tier does not apply to functions with provisioned concurrency"]
    return Priced(lines=lines, notes=notes, memory_mb=[memory], billed_ms=[ms])


def price_streaming(book: PriceBook, region: str, *, responses: Decimal, response_bytes: Decimal,
                    free_tier: bool) -> Priced:
    """Price streamed response bytes beyond the first 6 MB of each response."""
    over = max(ZERO, response_bytes - book.figure("lambda.streaming_included_bytes", region).number())
    per_gb = book.figure("lambda.bytes_per_gb", region).number()
    line = charge("streamed bytes beyond 6 MB per response", "front", responses * over / per_gb, "GB",
                  book.figure("lambda.streaming_price", region),
                  book.free("lambda.streaming_free_gb", region, free_tier))
    return Priced(lines=[line])


def _chunks(size: Decimal, chunk: Decimal) -> Decimal:
    """How many metering chunks one item of `size` bytes counts as (at least one)."""
    return max(Decimal(1), ceil_to(size, chunk) / chunk)


def price_bus(book: PriceBook, region: str, *, events: Decimal, event_bytes: Decimal,
              deliveries: Decimal, free_tier: bool) -> Priced:
    """EventBridge custom bus: each 64 KB chunk of a published event is one event."""
    count = events * _chunks(event_bytes, book.figure("eventbridge.chunk_bytes", region).number())
    line = charge("EventBridge custom events", "bus", count, "events",
                  book.figure("eventbridge.event_price", region),
                  book.free("eventbridge.free_events", region, free_tier))
    return Priced(lines=[line], notes=["rule deliveries to Lambda targets are not charged"])


def price_front(book: PriceBook, region: str, *, front: str, requests: Decimal,
                request_bytes: Decimal, free_tier: bool) -> Priced:
    """Lambda Function URL (free) or API Gateway HTTP API (512 KB metering, tiered)."""
    if front == "function-url":
        return Priced(lines=[charge("Function URL requests", "front", requests, "requests",
                                    book.figure("function_url.request_price", region))])
    metered = requests * _chunks(request_bytes, book.figure("http_api.metering_bytes", region).number())
    free = book.free("http_api.free_requests", region, free_tier)
    allowance = book.figure("http_api.free_requests", region)
    notes = [] if allowance.fields.get("always_free") else [
        f"HTTP API free tier not applied: {allowance.number()} {allowance.unit}"]
    return Priced(lines=tiered("HTTP API requests", "front", metered, "requests",
                               book.figures("http_api.request_price", region), free), notes=notes)


# The plans of the registry's aws-lambda target (tooling/targets.py): it bills one way.
PLANS = {
    "": TargetInfo(
        "AWS Lambda", "configured memory, 128-10,240 MB in 1 MB steps", price_lambda, memory_setting,
        arches=("x86_64", "arm64"), options=("ephemeral_mb",), bus="EventBridge custom bus",
        fronts=("function-url", "http-api"), sections=("lambda",),
    ),
}
