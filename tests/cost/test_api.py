"""The public API: targets, clear errors, memory settings, JSON bills, buses and fronts."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from tooling.pricing import (
    Workload,
    bus_cost,
    egress_cost,
    front_cost,
    plans,
    price_functions,
    price_instance_time,
    price_month,
    smallest_memory_setting,
)

D = Decimal


def test_targets_are_the_cli_contract() -> None:
    """The registry's targets and their plans, in order, the deployed plan first; each says its bus and fronts."""
    assert [info.name for info in plans().values()] == ["knative gke", "gcf gen2", "gcf gen1", "aws-lambda",
                                                        "azure flex", "azure consumption"]
    assert plans()["aws-lambda", ""].arches == ("x86_64", "arm64")
    assert plans()["aws-lambda", ""].fronts == ("function-url", "http-api")


def test_unknown_target_names_the_valid_ones() -> None:
    """An unknown target is a ValueError listing every target; an old spelling names the canonical one."""
    with pytest.raises(ValueError, match="unknown target 'lambda'; choose one of: knative, gcf, aws-lambda, azure"):
        price_month("lambda", 1, 1, 128)
    with pytest.raises(ValueError, match="'gcf-gen1': it is target 'gcf' with plan 'gen1'"):
        price_month("gcf-gen1", 1, 1, 128)
    with pytest.raises(ValueError, match="'knative-gke': it is target 'knative' with plan 'gke'"):
        price_month("knative-gke", 1, 1, 128)
    with pytest.raises(ValueError, match="gcf has no plan 'flex'; its plans: gen2, gen1"):
        price_month("gcf", 1, 1, 128, plan="flex")


@pytest.mark.parametrize("target, known", [
    ("aws-lambda", "us-east-1"), ("gcf", "us-central1, asia-northeast3"),
    ("azure", "eastus"), ("knative", "us-central1"),
])
def test_unknown_region_names_the_known_ones(target: str, known: str) -> None:
    """An unknown region is a ValueError listing the regions the data prices."""
    with pytest.raises(ValueError, match=f"unknown .* region 'mars-1'; known regions: {known}"):
        price_month(target, 1, 1, 512, region="mars-1")
    with pytest.raises(ValueError, match="known regions"):
        bus_cost(target, 1, 1, region="mars-1")


def test_unknown_arch_names_the_valid_ones() -> None:
    """aws-lambda prices x86_64 and arm64; the others only x86_64."""
    with pytest.raises(ValueError, match="choose one of: x86_64, arm64"):
        price_month("aws-lambda", 1, 1, 128, arch="riscv")
    with pytest.raises(ValueError, match="choose one of: x86_64"):
        price_month("gcf", 1, 1, 128, arch="arm64", plan="gen1")


@pytest.mark.parametrize("call, message", [
    (lambda: price_month("gcf", 1, 1, 128, vcpu=1, plan="gen1"), "vcpu applies only to knative gke, gcf gen2"),
    (lambda: price_month("aws-lambda", 1, 1, 128, concurrency=4), "concurrency applies only to"),
    (lambda: price_month("gcf", 1, 1, 128, ephemeral_mb=1024, plan="gen2"), "ephemeral_mb applies only to aws-lambda"),
    (lambda: price_month("knative", 1, 1, 128, cluster="eks"), "choose one of: autopilot, standard"),
    (lambda: price_month("aws-lambda", -1, 1, 128), "invocations must be a finite number >= 0"),
    (lambda: price_month("aws-lambda", 1, math.nan, 128), "duration_ms must be finite"),
    (lambda: price_month("aws-lambda", 1, 1, 20_000), "above the largest setting, 10240 MB"),
    (lambda: price_month("azure", 1, 1, 5000, plan="flex"), "sizes: 512, 2048, 4096"),
    (lambda: price_month("aws-lambda", 1, 1, 128, ephemeral_mb=100), "between 512 and 10240"),
    (lambda: front_cost("gcf", 1, front="http-api", plan="gen2"), "choose one of: http"),
    (lambda: egress_cost("aws-lambda", 1), "only for gcf gen1"),
    (lambda: price_instance_time("aws-lambda", 1, 1, 128), "gcf gen2, azure flex"),
    (lambda: smallest_memory_setting("gcf", 8000, plan="gen1"), "settings: 128, 256"),
    (lambda: smallest_memory_setting("azure", 1300, plan="consumption"), "capped at 1536 MB"),
])
def test_bad_inputs_are_clear_value_errors(call, message: str) -> None:  # type: ignore[no-untyped-def]
    """Every bad input is a ValueError whose message says what is allowed."""
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("target, plan, peak, expected", [
    ("aws-lambda", "", 87.0, 128), ("aws-lambda", "", 200, 250), ("aws-lambda", "", 200.1, 251),
    ("gcf", "gen1", 87.0, 128), ("gcf", "gen1", 250, 512), ("gcf", "gen2", 5000, 8192),
    ("azure", "consumption", 87.0, 128), ("azure", "consumption", 128, 256), ("azure", "flex", 87.0, 512),
    ("azure", "flex", 600, 2048), ("knative", "gke", 87.0, 109),
])
def test_smallest_memory_setting_holds_peak_times_headroom(target: str, plan: str, peak: float,
                                                           expected: int) -> None:
    """The smallest allowed setting holding peak x 1.25, by the target's steps."""
    assert smallest_memory_setting(target, peak_mb=peak, headroom=1.25, plan=plan) == expected


def test_smallest_memory_setting_without_headroom() -> None:
    """[AZ-P] a process using 160 MB is billed as 256 MB."""
    assert smallest_memory_setting("azure", 160, headroom=1, plan="consumption") == 256


def test_price_month_rounds_memory_up_to_a_setting() -> None:
    """memory_mb is billed at the next allowed setting, reported as bill.memory_mb."""
    assert price_month("gcf", 1, 1, 300, plan="gen1").memory_mb == 512
    assert price_month("aws-lambda", 1, 1, 100).memory_mb == 128
    assert price_month("azure", 1, 1, 5000, plan="consumption").memory_mb == 1536  # the cap


@pytest.mark.parametrize("target, plan", list(plans()))
def test_bill_to_dict_is_json_with_sources(target: str, plan: str) -> None:
    """to_dict() holds target, plan, region, price date, inputs and each line's source; json.dumps works."""
    bill = price_month(target, 3_000_000, 120.0, 512, plan=plan)
    data = json.loads(json.dumps(bill.to_dict()))
    assert data["target"] == target and data["plan"] == plan and data["price_date"] == "2026-11-28"
    assert data["region"] == bill.region and data["inputs"]["invocations"] == 3_000_000
    assert data["total_usd"] == float(bill.total_usd)
    assert all(line["source"] and line["seen"] for line in data["lines"])
    assert math.isclose(sum(line["usd"] for line in data["lines"]), data["total_usd"])


def test_pipeline_functions_share_one_free_tier() -> None:
    """price_functions() gives the account's free tier once to all roles together."""
    roles = [Workload(1_000_000, 100, 512, name=name) for name in ("receive", "parse", "command", "respond")]
    together = price_functions("aws-lambda", roles)
    apart = sum((price_month("aws-lambda", 1_000_000, 100, 512).total_usd for _ in roles), D(0))
    assert together.total_usd > apart == 0
    assert together.requests_usd == D("0.60")  # 4M - 1M free


def test_eventbridge_counts_64kb_chunks_and_has_no_free_tier() -> None:
    """[EB-SOL] each 64 KB chunk of a custom event is one $1/M event."""
    assert bus_cost("aws-lambda", 1_000_000, 65_536).total_usd == D("1.00")
    assert bus_cost("aws-lambda", 1_000_000, 65_537).total_usd == D("2.00")


def test_http_fronts() -> None:
    """Function URL is free; HTTP API is $1/M metered per 512 KB; 12-month free tier not applied."""
    assert front_cost("aws-lambda", 3_000_000).total_usd == 0
    api = front_cost("aws-lambda", 3_000_000, front="http-api")
    assert api.total_usd == D("3.00") and api.notes
    assert front_cost("aws-lambda", 1_000_000, front="http-api", request_bytes=513 * 1024).total_usd == D("2.00")
    assert front_cost("aws-lambda", 400_000_000, front="http-api").total_usd == D("390.00")
    for target, plan in (("gcf", "gen1"), ("gcf", "gen2"), ("azure", "consumption"), ("azure", "flex"),
                         ("knative", "gke")):
        assert front_cost(target, 3_000_000, plan=plan).total_usd == 0


def test_knative_broker_is_free_per_event() -> None:
    """The Knative Broker's cost is in the cluster, not per event."""
    assert bus_cost("knative", 10_000_000, 2048).total_usd == 0
