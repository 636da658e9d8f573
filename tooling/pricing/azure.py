"""Azure Functions: Consumption (observed memory) and Flex Consumption; Event Grid."""

from __future__ import annotations

from decimal import Decimal

from .book import PriceBook
from .model import MS_PER_S, ZERO, Line, PricingError, ceil_to, charge
from .targets import Priced, TargetInfo, Usage, billed_ms_on, price_http_trigger, price_instance_time


def consumption_memory(book: PriceBook, region: str, observed_mb: Decimal) -> tuple[int, bool]:
    """Billed memory for observed memory: up to the 128 MB step, at least 128, capped.

    Returns (billed MB, whether the cap applied).
    """
    step = book.figure("consumption.memory_step_mb", region).number()
    low, cap = book.figure("consumption.memory_mb", region).value
    stepped = max(low, ceil_to(observed_mb, step))
    return int(min(stepped, cap)), stepped > cap


def consumption_memory_setting(book: PriceBook, region: str, need_mb: Decimal) -> int:
    """The billed memory step that holds need_mb (the plan has no memory setting)."""
    billed, capped = consumption_memory(book, region, need_mb)
    if capped:
        raise PricingError(f"azure consumption cannot hold {need_mb} MB: a process is capped at {billed} MB")
    return billed


def flex_memory_setting(book: PriceBook, region: str, need_mb: Decimal) -> int:
    """The smallest Flex Consumption instance memory size that holds need_mb."""
    sizes = book.figure("flex.instance_memory_mb", region).value
    for size in sizes:
        if size >= need_mb:
            return int(size)
    raise PricingError(f"azure flex has no instance size of {need_mb} MB or more; sizes: "
                       + ", ".join(str(s) for s in sizes))


def _gb_s_line(book: PriceBook, region: str, plan: str, gb_s: Decimal, free_tier: bool) -> Line:
    return charge("execution time", "compute", gb_s, "GB-s",
                  book.figure(f"{plan}.gb_second_price", region),
                  book.free(f"{plan}.free_gb_seconds", region, free_tier))


def _executions_line(book: PriceBook, region: str, plan: str, count: Decimal, free_tier: bool) -> Line:
    return charge("executions", "requests", count, "executions",
                  book.figure(f"{plan}.request_price", region),
                  book.free(f"{plan}.free_requests", region, free_tier))


def price_consumption(usages: list[Usage], *, book: PriceBook, region: str, free_tier: bool,
                      **_: object) -> Priced:
    """Consumption: observed MB (128 MB steps, 1,536 cap) x time (1 ms, min 100 ms)."""
    mb_per_gb = book.figure("consumption.mb_per_gb", region).number()
    priced = Priced(lines=[])
    gb_s = executions = ZERO
    for usage in usages:
        memory, capped = consumption_memory(book, region, usage.memory_mb)
        if capped:
            priced.notes.append(f"observed {usage.memory_mb} MB is billed at the {memory} MB cap")
        ms = billed_ms_on(book, region, "consumption", usage.duration_ms)
        gb_s += usage.invocations * ms / MS_PER_S * memory / mb_per_gb
        executions += usage.invocations
        priced.memory_mb.append(memory)
        priced.billed_ms.append(ms)
    priced.lines += [_gb_s_line(book, region, "consumption", gb_s, free_tier),
                     _executions_line(book, region, "consumption", executions, free_tier)]
    priced.notes.append("memory_mb is the observed (measured) memory, not a setting")
    return priced


def price_flex(usages: list[Usage], *, book: PriceBook, region: str, free_tier: bool,
               **_: object) -> Priced:
    """Flex on demand: instance MB x active time (min 1,000 ms, then 100 ms steps).

    Each group of `concurrency` executions is taken as one active period of the
    instance: the upper bound for sparse chat traffic (PRICING.md section 6).
    """
    return price_instance_time(usages, book, region, "flex", free_tier, flex_busy_lines)


def flex_busy_lines(book: PriceBook, region: str, busy: list[tuple[Usage, Decimal]],
                    free_tier: bool, memory_out: list[int]) -> list[Line]:
    """Flex lines from each workload's instance active seconds."""
    mb_per_gb = book.figure("flex.mb_per_gb", region).number()
    gb_s = executions = ZERO
    for usage, seconds in busy:
        memory = flex_memory_setting(book, region, usage.memory_mb)
        gb_s += seconds * memory / mb_per_gb
        executions += usage.invocations
        memory_out.append(memory)
    return [_gb_s_line(book, region, "flex", gb_s, free_tier),
            _executions_line(book, region, "flex", executions, free_tier)]


def execution_units_to_gb_seconds(book: PriceBook, region: str, units: Decimal) -> Decimal:
    """Convert Azure Monitor Function Execution Units (MB-ms) to GB-s."""
    return units / book.figure("execution_units.mb_ms_per_gb_s", region).number()


def price_event_grid(book: PriceBook, region: str, *, events: Decimal, event_bytes: Decimal,
                     deliveries: Decimal, free_tier: bool) -> Priced:
    """Event Grid Basic: publish + each delivery are operations, per 64 KB chunk."""
    chunk = book.figure("event_grid.chunk_bytes", region).number()
    chunks = max(Decimal(1), ceil_to(event_bytes, chunk) / chunk)
    operations = events * (1 + deliveries) * chunks
    line = charge("Event Grid operations (publish + deliveries)", "bus", operations, "operations",
                  book.figure("event_grid.operation_price", region),
                  book.free("event_grid.free_operations", region, free_tier))
    notes = ["retries and advanced-filter matches are operations too; not modelled"]
    return Priced(lines=[line], notes=notes)


# An HTTP trigger costs nothing beyond the execution fee.
price_front = price_http_trigger
price_bus = price_event_grid

# The plans of the registry's azure target (tooling/targets.py).
PLANS = {
    "consumption": TargetInfo(
        "Azure Functions Consumption", "observed memory (billed rounded up to 128 MB, capped at 1,536 MB)",
        price_consumption, consumption_memory_setting, bus="Event Grid", sections=("consumption",),
        bills_observed_memory=True,
    ),
    "flex": TargetInfo(
        "Azure Functions Flex Consumption", "instance memory 512/2048/4096 MB", price_flex, flex_memory_setting,
        takes_concurrency=True, bus="Event Grid", sections=("flex",), instance_lines=flex_busy_lines,
    ),
}
