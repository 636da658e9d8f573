"""The price data files: every figure sourced and dated; no prices hidden in the code."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tooling.pricing import plans, price_date
from tooling.pricing.book import DATA_DIR, PROVIDERS, STATUSES, PriceBook, load

# The source tags of PRICING.md section 12 (plus a few pages it quotes by URL).
TAGS = {
    "AWS-LP", "AWS-LP-pages", "AWS-LP-2018", "AWS-TIER", "AWS-INIT", "AWS-FAQ", "AWS-MEM", "AWS-PL",
    "APIGW", "APIGW-WP", "APIGW-3P", "SQS-3P", "SNS-COPY", "EB-SOL", "GCF1", "GCF1-MEM", "GCF1-3P",
    "CR", "CR-BILL", "CR-CONC", "CR-3P", "PS", "EA", "AZ-P", "AZ-METER", "AZ-COST", "AZ-COST-2019",
    "AZ-FLEX-DOC", "AZ-FLEX-EUR", "AZ-RETAIL", "AZ-3P", "EG-3P", "EG-QA", "SQ-3P", "GKE", "GKE-3P",
    "E2", "KN", "SEBS", "LPT", "BILL", "PRICELESS",
}


def _raw(provider: str) -> dict[str, Any]:
    with (DATA_DIR / f"{provider}.toml").open("rb") as handle:
        return tomllib.load(handle, parse_float=Decimal)


def _numeric(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return any(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in items)


def _tables(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every TOML table of a file, arrays of tables included, with its dotted path."""
    if isinstance(node, dict):
        yield path, node
        for key, child in node.items():
            yield from _tables(child, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _tables(child, f"{path}[{index}]")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_figure_has_unit_status_source_and_seen_date(provider: str) -> None:
    """A test walks each TOML file: any table holding a number is a sourced, dated figure."""
    figures = 0
    for path, table in _tables(_raw(provider)):
        if not any(_numeric(v) for v in table.values()):
            continue
        figures += 1
        assert isinstance(table.get("seen"), date), f"{provider}.toml {path}: no seen date"
        assert str(table.get("source", "")).strip(), f"{provider}.toml {path}: no source"
        assert table.get("status") in STATUSES, f"{provider}.toml {path}: bad status"
        assert str(table.get("unit", "")).strip(), f"{provider}.toml {path}: no unit"
    assert figures >= 10


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sources_name_a_pricing_md_tag_or_a_url(provider: str) -> None:
    """Each source cites a PRICING.md section 12 tag, a URL, or PRICING.md itself."""
    for path, table in _tables(_raw(provider)):
        if "source" not in table:
            continue
        source = str(table["source"])
        tags = {part.split("]")[0] for part in source.split("[")[1:]}
        assert tags <= TAGS, f"{provider}.toml {path}: unknown tags {tags - TAGS}"
        assert tags or "http" in source or "PRICING.md" in source, f"{provider}.toml {path}: {source}"


@pytest.mark.parametrize("provider, path", [
    ("gcp", "tier.tier2.gcf_gen1.gb_second_price"),
    ("gcp", "tier.tier2.gcf_gen1.ghz_second_price"),
    ("gcp", "gcf_gen1.free_tier_basis"),
    ("azure", "event_grid.chunk_bytes"),
    ("knative", "tier.us-central1.cluster.load_balancer"),
    ("aws", "tier.us-east-1.http_api.request_price[2]"),
])
def test_pricing_md_unconfirmed_figures_say_so(provider: str, path: str) -> None:
    """Figures PRICING.md marks UNCONFIRMED carry status = "UNCONFIRMED" in the data."""
    tables = dict(_tables(_raw(provider)))
    assert tables[path]["status"] == "UNCONFIRMED"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_books_load_and_default_region_is_known(provider: str) -> None:
    """Each shipped book loads (validated) and names a default region it prices."""
    book = load(provider)
    assert book.default_region in book.regions


def test_book_rejects_a_figure_without_source() -> None:
    """Loading a book whose figure lacks a source fails, naming the figure."""
    raw = {"meta": {"default_region": "r"}, "regions": {"r": {"price_tier": "r"}},
           "x": {"price": {"value": 1, "unit": "USD", "status": "OFFICIAL", "seen": date(2026, 1, 1)}}}
    with pytest.raises(ValueError, match="x.price lacks source"):
        PriceBook("test", raw)


def test_price_date_is_the_oldest_seen_date() -> None:
    """price_date() is the date the prices were seen (all 2026-11-28 in this edition)."""
    assert price_date() == date(2026, 11, 28)
    assert all(price_date(target, plan=plan) == date(2026, 11, 28) for target, plan in plans())


# Indexes, ms and hour conversions, decimal precision, and the API's default headroom.
ALLOWED_CONSTANTS = {0, 1, 2, 80, 1000, 3600, 1.25}


def test_pricing_code_holds_no_price_constants() -> None:
    """Numbers live in the data files: the code only converts units (ms -> s, s -> h)."""
    package = Path(DATA_DIR).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Constant) and _numeric(node.value) and not isinstance(node.value, bool):
                assert node.value in ALLOWED_CONSTANTS, f"{module.name}:{node.lineno} literal {node.value!r}"
