"""The billing model's shared pieces: exact decimals, rounding, bill lines and bills.

Every amount is a `Decimal`. A line keeps its exact amount; it is rounded to the cent
(half up, as the providers' worked examples print) once, per line, and the bill's totals
are sums of rounded lines, which is how the examples add up.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext
from typing import Any, TypeVar

CENT = Decimal("0.01")
ZERO = Decimal(0)
NO_CENTS = Decimal("0.00")  # so an empty total still prints as 0.00
MS_PER_S = Decimal(1000)


_F = TypeVar("_F", bound=Callable[..., Any])


def exact(func: _F) -> _F:
    """Run `func` with enough decimal digits that no intermediate product is rounded."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with localcontext() as context:
            context.prec = 80
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


class PricingError(ValueError):
    """A bad pricing input or data file; the message names the valid choices."""


def to_decimal(value: Any, name: str) -> Decimal:
    """Return `value` as an exact, finite, non-negative Decimal (floats by their repr)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise PricingError(f"{name} must be a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PricingError(f"{name} must be finite, got {value!r}")
        # repr is the shortest string that round-trips, so 1.0001 stays 1.0001.
        value = Decimal(repr(value))
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise PricingError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    """Round `value` up to a whole multiple of `step` (no rounding when step is 0)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def billed_ms(duration_ms: Decimal, step_ms: Decimal, minimum_ms: Decimal) -> Decimal:
    """Billed time of one run: rounded up to the step, then raised to the minimum."""
    return max(ceil_to(duration_ms, step_ms), minimum_ms)


def cents(amount: Decimal) -> Decimal:
    """Round an amount to the cent, half up, as the providers' examples print it."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    """One itemised charge: quantity x unit price, less the free allowance it used."""

    item: str
    category: str  # compute | requests | storage | fixed | bus | front | egress
    quantity: Decimal
    unit: str
    unit_price: Decimal
    source: str
    status: str
    seen: date
    free_exact: Decimal = ZERO
    note: str = ""

    @property
    def gross_exact(self) -> Decimal:
        """Charge before any free allowance, unrounded."""
        return self.quantity * self.unit_price

    @property
    def exact(self) -> Decimal:
        """Charge after the free allowance, unrounded."""
        return self.gross_exact - self.free_exact

    @property
    def usd(self) -> Decimal:
        """Charge after the free allowance, to the cent."""
        return cents(self.exact)

    def to_dict(self) -> dict[str, Any]:
        """This line as JSON-able values (USD as floats, exact amount as a string)."""
        return {
            "item": self.item,
            "category": self.category,
            "quantity": float(self.quantity),
            "unit": self.unit,
            "unit_price_usd": float(self.unit_price),
            "free_quantity": float(self.free_exact / self.unit_price) if self.unit_price else 0.0,
            "free_usd": float(cents(self.free_exact)),
            "usd": float(self.usd),
            "usd_exact": str(self.exact.normalize()),
            "status": self.status,
            "source": self.source,
            "seen": self.seen.isoformat(),
            **({"note": self.note} if self.note else {}),
        }


def charge(
    item: str,
    category: str,
    quantity: Decimal,
    unit: str,
    price: Any,
    free_quantity: Decimal = ZERO,
    free_price: Decimal | None = None,
    note: str = "",
    scale: Decimal = Decimal(1),
) -> Line:
    """Build a line from a price figure; the free allowance is worth free_quantity x free_price.

    free_price defaults to the line's own price (AWS, Azure). Google values its free tier
    at Tier 1 prices, so a Tier 2 line passes the Tier 1 price here. The unit price is
    the figure's price divided by `scale` (a price per TiB billed per byte, say).
    """
    unit_price = price.unit_price / scale
    allowance = free_quantity * (unit_price if free_price is None else free_price)
    return Line(
        item=item,
        category=category,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        source=price.source,
        status=price.status,
        seen=price.seen,
        free_exact=min(quantity * unit_price, allowance),
        note=note,
    )


def tiered(item: str, category: str, quantity: Decimal, unit: str, tiers: Iterable[Any],
           free_quantity: Decimal = ZERO) -> list[Line]:
    """Lines for a volume-tiered price: the free allowance first, then each tier in turn."""
    free_used = min(quantity, free_quantity)
    billable = quantity - free_used
    tiers = list(tiers)
    lines: list[Line] = []
    lower = ZERO
    for index, tier in enumerate(tiers):
        upper = tier.number("up_to") if "up_to" in tier.fields else None
        in_tier = max(ZERO, (billable if upper is None else min(billable, upper)) - lower)
        free_here = free_used if index == 0 else ZERO
        if index == 0 or in_tier > 0:
            label = f"{item} (tier {index + 1})" if len(tiers) > 1 else item
            lines.append(charge(label, category, in_tier + free_here, unit, tier, free_here))
        if upper is None or billable <= upper:
            break
        lower = upper
    return lines


@dataclass(frozen=True)
class Bill:
    """A month's itemised bill for one target (or for its bus or HTTP front)."""

    target: str
    region: str
    price_date: date
    inputs: dict[str, Any]
    lines: tuple[Line, ...]
    invocations: Decimal = ZERO
    memory_mb: int | None = None
    billed_ms_per_invocation: Decimal | None = None
    notes: tuple[str, ...] = field(default=())
    plan: str = ""  # the target's billing plan ("" for a target that bills one way)

    def _sum(self, *categories: str) -> Decimal:
        return sum((line.usd for line in self.lines if line.category in categories), NO_CENTS)

    @property
    def total_usd(self) -> Decimal:
        """The month's total to the cent: the sum of the rounded lines."""
        return sum((line.usd for line in self.lines), NO_CENTS)

    @property
    def total_exact(self) -> Decimal:
        """The month's total before any rounding."""
        return sum((line.exact for line in self.lines), ZERO)

    @property
    def compute_usd(self) -> Decimal:
        """Duration charges (GB-s, GHz-s, vCPU-s, pod time), to the cent."""
        return self._sum("compute")

    @property
    def requests_usd(self) -> Decimal:
        """Per-request or per-execution charges, to the cent."""
        return self._sum("requests")

    @property
    def fixed_usd(self) -> Decimal:
        """Charges that do not depend on traffic (cluster, nodes, load balancer)."""
        return self._sum("fixed")

    @property
    def free_tier_usd(self) -> Decimal:
        """What the free tiers took off this bill, to the cent."""
        return cents(sum((line.free_exact for line in self.lines), ZERO))

    @property
    def per_invocation_usd(self) -> Decimal | None:
        """Exact total divided by the invocations (None when there are none)."""
        return self.total_exact / self.invocations if self.invocations else None

    def to_dict(self) -> dict[str, Any]:
        """The bill as JSON-able values, each line with its source and status."""
        per = self.per_invocation_usd
        return {
            "target": self.target,
            "plan": self.plan,
            "region": self.region,
            "price_date": self.price_date.isoformat(),
            "currency": "USD",
            "inputs": {k: _jsonable(v) for k, v in self.inputs.items()},
            "memory_mb": self.memory_mb,
            "billed_ms_per_invocation": _jsonable(self.billed_ms_per_invocation),
            "total_usd": float(self.total_usd),
            "compute_usd": float(self.compute_usd),
            "requests_usd": float(self.requests_usd),
            "fixed_usd": float(self.fixed_usd),
            "free_tier_usd": float(self.free_tier_usd),
            "per_invocation_usd": None if per is None else float(per),
            "lines": [line.to_dict() for line in self.lines],
            "notes": list(self.notes),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
