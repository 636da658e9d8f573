"""`botless cost` in measuring mode: measure, price every billing model, report."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from decimal import Decimal

from core.settings import TOPOLOGIES
from tooling.costing.estimate import (
    CROSSOVER_TARGET,
    PRICED_TARGETS,
    BillingModel,
    Estimate,
    crossover,
    estimate,
    monthly_cost,
)
from tooling.costing.figures import DEFAULT_TEXTS, MessageMix, RoleFigures, mix_from_texts
from tooling.costing.measure import ROLES, MeasurementError, Plan, measure, steps
from tooling.targets import target_named

CHART_VOLUMES = [10**exponent for exponent in range(3, 10)] + [3 * 10**exponent for exponent in range(3, 9)]


def labels_for(targets: list[str] | None, plans: list[str] | None = None) -> list[str]:
    """The billing models to price: all, or those of the chosen targets.

    A --plan narrows only the target it belongs to: `--target gcf --target azure --plan gen1`
    prices gcf gen1 and both Azure plans.
    """
    def chosen(model: BillingModel) -> bool:
        if targets and model.target not in targets:
            return False
        narrowed = set(plans or ()) & set(target_named(model.target).plans)
        return not narrowed or model.plan in narrowed

    return [label for label, model in PRICED_TARGETS.items() if chosen(model)]


def price_all(figures: Mapping[str, Mapping[str, RoleFigures]], labels: list[str], messages: int,
              mix: MessageMix, region: str | None = None) -> tuple[list[Estimate], dict[str, int | None], Estimate]:
    """Every label x topology at `messages`, Knative's crossovers, and the cheapest choice."""
    estimates = [estimate(label, topology, figures[PRICED_TARGETS[label].target], mix, messages, region)
                 for label in labels for topology in TOPOLOGIES]
    crossovers: dict[str, int | None] = {}
    if CROSSOVER_TARGET in figures:
        for item in estimates:
            if item.target != CROSSOVER_TARGET:
                crossovers[f"{item.label}/{item.topology}"] = crossover(
                    item.label, item.topology, figures[PRICED_TARGETS[item.label].target], mix,
                    figures[CROSSOVER_TARGET], region)
    cheapest = min(estimates, key=lambda item: item.monthly_usd)
    return estimates, crossovers, cheapest


def curves(figures: Mapping[str, Mapping[str, RoleFigures]], labels: list[str], mix: MessageMix,
           region: str | None = None) -> dict[str, list[tuple[int, Decimal]]]:
    """Monthly cost at each chart volume, per label and topology."""
    result = {}
    for label in labels:
        for topology in TOPOLOGIES:
            result[f"{label} {topology}"] = [
                (volume, monthly_cost(label, topology, figures[PRICED_TARGETS[label].target], mix,
                                      volume, True, region)[0])
                for volume in sorted(CHART_VOLUMES)]
    return result


def measure_and_report(args: argparse.Namespace) -> int:
    """Measure what the chosen targets need, price them, print tables or JSON, draw the chart."""
    from core.bot import Bot
    from core.registry import CommandDefinitionError
    from core.settings import SettingsError
    from functions.local.runtime import fail
    from tooling.pricing import price_date

    labels = labels_for(args.target, args.plan)
    texts = read_mix(args.mix) if args.mix else list(DEFAULT_TEXTS)
    try:
        mix = mix_from_texts(texts, Bot.from_env())
    except (SettingsError, CommandDefinitionError, ValueError) as error:
        return fail(str(error))
    if mix.command_share == 0:
        return fail("the message mix has no command in it, so there is nothing to measure past parse")
    entrypoints = sorted({PRICED_TARGETS[label].target for label in labels} | {CROSSOVER_TARGET})
    plan = Plan.quick() if args.quick else Plan()
    try:
        figures = _measure_with_progress(entrypoints, plan, texts, quiet=args.json)
    except MeasurementError as error:
        return fail(str(error), code=1)
    date = price_date().isoformat()
    estimates, crossovers, cheapest = price_all(figures, labels, args.messages_per_month, mix, args.region)
    if args.json:
        from tooling.costing.report import as_json

        print(json.dumps(as_json(figures, estimates, crossovers, cheapest, date, args.messages_per_month), indent=2))
    else:
        from tooling.costing.report import print_tables

        print_tables(figures, estimates, crossovers, cheapest, date, args.messages_per_month)
    if args.chart:
        from tooling.costing.report import write_chart

        write_chart(args.chart, curves(figures, labels, mix, args.region), date)
        if not args.json:
            print(f"chart written to {args.chart}")
    return 0


def read_mix(path: str) -> list[str]:
    """Chat messages from a file, one a line (blank lines and lines starting with # skipped)."""
    with open(path, encoding="utf-8") as lines:
        return [line.rstrip("\n") for line in lines if line.strip() and not line.startswith("#")]


def _measure_with_progress(entrypoints: list[str], plan: Plan, texts: list[str],
                           quiet: bool) -> dict[str, dict[str, RoleFigures]]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), transient=True, disable=quiet) as bar:
        task = bar.add_task("measuring", total=steps(entrypoints, ROLES))

        def advance(step: str) -> None:
            bar.update(task, advance=1, description=step)

        return measure(entrypoints, ROLES, plan, progress=advance, texts=texts)
