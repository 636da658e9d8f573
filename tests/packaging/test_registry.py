"""The target registry (tooling/targets.py) is the one list: every tool that iterates targets uses it."""

from __future__ import annotations

import argparse
import importlib
import tomllib
from pathlib import Path

import pytest

from functions.local.cli import build_parser
from tooling.costing.estimate import PRICED_TARGETS
from tooling.costing.measure import ENTRYPOINTS
from tooling.pricing import plans
from tooling.targets import TARGET_NAMES, TARGETS, target_argument, target_named

REPO = Path(__file__).resolve().parents[2]


def _target_choices(subcommand: str) -> tuple[str, ...]:
    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    [action] = [a for a in commands.choices[subcommand]._actions if "--target" in a.option_strings]
    return tuple(action.choices or ())


@pytest.mark.parametrize("subcommand", ["package", "deploy", "cost"])
def test_every_subcommand_takes_the_registry_names(subcommand: str) -> None:
    assert _target_choices(subcommand) == TARGET_NAMES


def test_manifests_takes_the_container_targets() -> None:
    assert _target_choices("manifests") == tuple(t.name for t in TARGETS if t.container)


def test_costing_prices_and_measures_every_target_and_plan() -> None:
    assert ENTRYPOINTS == TARGET_NAMES
    assert {(m.target, m.plan) for m in PRICED_TARGETS.values()} == set(plans())
    assert list(plans()) == [(t.name, plan) for t in TARGETS for plan in (t.plans or ("",))]


def test_the_conformance_suite_and_bench_run_every_target() -> None:
    from tests.targets.test_conformance import CONFIGURATIONS

    assert {target for target, _ in CONFIGURATIONS} == set(TARGET_NAMES)
    bench = importlib.import_module("bench.cold_start")  # bench/ is a namespace package
    # bench measures each registry target through its invoker (checked below), restating none.
    assert bench.TARGETS is TARGETS and bench.TARGET_NAMES is TARGET_NAMES


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_each_target_has_its_folders(target) -> None:  # type: ignore[no-untyped-def]
    """What the registry finds by convention is there: entry, Terraform, invoker, pricing, extra."""
    assert (REPO / target.entry).is_file()
    assert (REPO / target.infra / "variables.tf").is_file()
    invoker = importlib.import_module(target.invoker)
    assert callable(invoker.load) and callable(invoker.environment)
    assert (REPO / "tooling" / "pricing" / "data" / f"{target.pricing}.toml").is_file()
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert target.extra in extras


@pytest.mark.parametrize("spelling, hint", [
    ("aws_lambda", "did you mean 'aws-lambda'?"), ("aws", "did you mean 'aws-lambda'?"),
    ("gcp", "did you mean 'gcf'?"), ("gcf-gen2", "it is target 'gcf' with plan 'gen2'"),
    ("knative-gke", "it is target 'knative' with plan 'gke'"),
    ("azure-flex", "it is target 'azure' with plan 'flex'"),
    ("lambda", "choose one of: knative, gcf, aws-lambda, azure"),
])
def test_an_old_spelling_names_the_canonical_one(spelling: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        target_named(spelling)
    with pytest.raises(argparse.ArgumentTypeError, match=hint):
        target_argument(spelling)


def test_package_refuses_an_old_spelling(capsys: pytest.CaptureFixture[str]) -> None:
    from functions.local.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["package", "--target", "aws_lambda", "--no-deps"])
    assert exit_.value.code == 2 and "did you mean 'aws-lambda'?" in capsys.readouterr().err
