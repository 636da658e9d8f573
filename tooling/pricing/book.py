"""Price books: the TOML data files read into figures, looked up per region.

A figure is a TOML table that holds a number: it must say its unit, status, source and
the date it was seen. Regional figures live under `[tier.<price_tier>]`, the others at
the top; a region names its price tier in `[regions.<region>]`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from .model import PricingError

DATA_DIR = Path(__file__).parent / "data"
PROVIDERS = ("aws", "gcp", "azure", "knative")
STATUSES = frozenset({"OFFICIAL", "SECONDARY", "UNCONFIRMED", "DERIVED", "ASSUMPTION"})
REQUIRED = ("status", "source", "seen")


@dataclass(frozen=True)
class Figure:
    """One sourced figure from a data file; `fields` is its whole TOML table."""

    key: str
    fields: Mapping[str, Any]

    @property
    def value(self) -> Any:
        """The figure's `value` (a Decimal, a tuple of Decimals, or absent)."""
        raw = self.fields.get("value")
        return tuple(_number(v, self.key) for v in raw) if isinstance(raw, list) else raw

    def number(self, name: str = "value") -> Decimal:
        """One numeric field of the figure, as a Decimal."""
        if name not in self.fields:
            raise PricingError(f"figure {self.key} has no field {name!r}")
        return _number(self.fields[name], f"{self.key}.{name}")

    def numbers(self, name: str = "value") -> tuple[Decimal, ...]:
        """A list-valued field of the figure, as Decimals."""
        raw = self.fields.get(name)
        if not isinstance(raw, list):
            raise PricingError(f"figure {self.key} field {name!r} must be a list")
        return tuple(_number(v, f"{self.key}.{name}") for v in raw)

    @property
    def unit_price(self) -> Decimal:
        """value / per: the price of one unit (per defaults to 1)."""
        per = self.number("per") if "per" in self.fields else Decimal(1)
        return self.number() / per

    @property
    def unit(self) -> str:
        return str(self.fields["unit"])

    @property
    def status(self) -> str:
        return str(self.fields["status"])

    @property
    def source(self) -> str:
        return str(self.fields["source"])

    @property
    def seen(self) -> date:
        return self.fields["seen"]  # type: ignore[no-any-return]


def _number(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
        raise PricingError(f"{where} must be a number, got {raw!r}")
    return Decimal(raw)


def is_figure(table: Mapping[str, Any]) -> bool:
    """True when a table holds a number (or a list of numbers) directly."""
    for value in table.values():
        items = value if isinstance(value, list) else [value]
        if any(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in items):
            return True
    return False


def check_figure(key: str, table: Mapping[str, Any], where: str) -> None:
    """Raise PricingError unless a figure says its unit, status, source and seen date."""
    missing = [name for name in REQUIRED if name not in table]
    if is_figure(table) and "unit" not in table:
        missing.append("unit")
    if missing:
        raise PricingError(f"{where}: figure {key} lacks {', '.join(missing)}")
    if not isinstance(table["seen"], date):
        raise PricingError(f"{where}: figure {key} seen must be a TOML date, e.g. 2026-11-28")
    if table["status"] not in STATUSES:
        raise PricingError(f"{where}: figure {key} status must be one of {sorted(STATUSES)}")


class PriceBook:
    """One provider's prices, validated on load, looked up by dotted key and region."""

    def __init__(self, provider: str, raw: Mapping[str, Any], origin: str = "<memory>") -> None:
        self.provider = provider
        self.raw = raw
        self.origin = origin
        for key, table in self.walk():
            check_figure(key, table, origin)
        meta = raw.get("meta", {})
        self.regions: tuple[str, ...] = tuple(raw.get("regions", {}))
        self.default_region: str = meta.get("default_region", "")
        if self.default_region not in self.regions:
            raise PricingError(f"{origin}: default_region {self.default_region!r} is not under [regions]")

    @classmethod
    def from_file(cls, path: Path, provider: str | None = None) -> PriceBook:
        """Read a data file (floats as exact Decimals)."""
        with path.open("rb") as handle:
            raw = tomllib.load(handle, parse_float=Decimal)
        return cls(provider or raw.get("meta", {}).get("provider", path.stem), raw, str(path))

    def walk(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every figure of the file as (dotted key, table), arrays of tables included."""
        yield from _walk(self.raw, "")

    def region(self, region: str | None) -> str:
        """The region to price in: the default for None, else a known one."""
        if region is None:
            return self.default_region
        if region not in self.regions:
            raise PricingError(
                f"unknown {self.provider} region {region!r}; known regions: {', '.join(self.regions)}"
            )
        return region

    def price_tier(self, region: str) -> str:
        """The price tier a region is billed at (its [tier.<name>] block)."""
        return str(self.raw["regions"][self.region(region)]["price_tier"])

    def _lookup(self, key: str, region: str, tier: str | None = None) -> Any:
        tier = tier or self.price_tier(region)
        for root in (self.raw.get("tier", {}).get(tier, {}), self.raw):
            node: Any = root
            for part in key.split("."):
                node = node.get(part) if isinstance(node, Mapping) else None
                if node is None:
                    break
            if node is not None:
                return node
        raise PricingError(f"{self.origin} has no figure {key!r} for region {region!r} (tier {tier!r})")

    def figure(self, key: str, region: str, tier: str | None = None) -> Figure:
        """The figure at a dotted key, the region's tier first, then the global one."""
        node = self._lookup(key, region, tier)
        if not isinstance(node, Mapping):
            raise PricingError(f"{self.origin}: {key!r} is not a single figure")
        return Figure(key, node)

    def figures(self, key: str, region: str) -> tuple[Figure, ...]:
        """An array of figures (tiers, memory steps, pods) at a dotted key."""
        node = self._lookup(key, region)
        if not isinstance(node, list):
            raise PricingError(f"{self.origin}: {key!r} is not an array of figures")
        return tuple(Figure(f"{key}[{i}]", table) for i, table in enumerate(node))

    def free(self, key: str, region: str, free_tier: bool) -> Decimal:
        """A free allowance; 0 when free tiers are off or it is not `always_free` (a trial)."""
        figure = self.figure(key, region)
        return figure.number() if free_tier and figure.fields.get("always_free", False) else Decimal(0)

    def oldest_seen(self, sections: tuple[str, ...] = ()) -> date:
        """The oldest `seen` date among the figures under the given top-level sections."""
        dates: list[date] = [
            table["seen"]
            for key, table in self.walk()
            if not sections or _section(key) in sections or key.startswith("regions.")
        ]
        return min(dates)


def _walk(node: Any, prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        if prefix and (is_figure(node) or "source" in node):
            yield prefix, node
        for name, child in node.items():
            yield from _walk(child, f"{prefix}.{name}" if prefix else str(name))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _walk(child, f"{prefix}[{index}]")


def _section(key: str) -> str:
    """The service section of a key: 'tier.x.lambda.request_price' -> 'lambda'."""
    parts = key.split(".")
    return parts[2] if parts[0] == "tier" and len(parts) > 2 else parts[0].split("[")[0]


@cache
def load(provider: str) -> PriceBook:
    """The shipped price book of a provider (aws, gcp, azure, knative), read once."""
    if provider not in PROVIDERS:
        raise PricingError(f"unknown price book {provider!r}; known: {', '.join(PROVIDERS)}")
    return PriceBook.from_file(DATA_DIR / f"{provider}.toml", provider)
