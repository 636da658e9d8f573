"""`botless cost` measuring mode: real handlers in fresh processes, priced on each model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.bot import Bot
from core.settings import Settings
from tooling.costing.estimate import crossover, estimate, monthly_cost
from tooling.costing.figures import DEFAULT_MIX, RoleFigures, mix_from_texts, summarise
from tooling.costing.measure import Plan, measure

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ROLES = ("mono", "receive", "parse", "command", "respond")


@pytest.fixture
def slow_commands(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(REPO)]))
    monkeypatch.setenv("BOTLESS_COMMANDS", "slow_commands")


@pytest.mark.slow  # measures the handler in fresh processes
def test_a_slower_handler_costs_more(slow_commands):
    """The same mono entrypoint, once answering /fast and once /slow: only the handler differs."""
    plan = Plan(invocations=6, cold_runs=1)
    fast = measure(["knative"], ["mono"], plan, texts=["/fast"])["knative"]
    slow = measure(["knative"], ["mono"], plan, texts=["/slow"])["knative"]
    assert slow["mono"].warm_median_ms > fast["mono"].warm_median_ms
    mix = DEFAULT_MIX
    for label in ("aws-lambda x86_64", "gcf gen1", "azure consumption"):
        slow_cost, _ = monthly_cost(label, "mono", slow, mix, 1_000_000, free_tier=False)
        fast_cost, _ = monthly_cost(label, "mono", fast, mix, 1_000_000, free_tier=False)
        assert slow_cost > fast_cost, label


@pytest.mark.slow  # measures the handlers in fresh processes
def test_every_role_of_lambda_is_measured_through_its_real_handler():
    figures = measure(["aws-lambda"], ROLES, Plan(invocations=3, cold_runs=1))["aws-lambda"]
    assert set(figures) == set(ROLES)
    for role, figure in figures.items():
        assert figure.invocations == 3
        assert figure.cold_start_ms > figure.cold_import_ms > 0
        # boto3 and the bot are loaded: a real process, not an empty interpreter.
        assert figure.peak_rss_mb > 20, role
    assert figures["receive"].published_bytes > 0 and figures["respond"].published_bytes == 0


def _figures(ms: float, mb: float = 40.0) -> dict[str, RoleFigures]:
    return {role: RoleFigures("x", role, 10, ms, ms, ms, 100.0, 50.0, mb, 400.0) for role in ROLES}


def test_knative_crossover_is_where_the_fixed_cluster_becomes_cheaper():
    lam, kn = _figures(20.0), _figures(2.0)
    volume = crossover("aws-lambda x86_64", "pipeline", lam, DEFAULT_MIX, kn)
    assert volume is not None
    below, _ = monthly_cost("aws-lambda x86_64", "pipeline", lam, DEFAULT_MIX, volume // 2)
    knative_below, _ = monthly_cost("knative gke", "mono", kn, DEFAULT_MIX, volume // 2)
    above, _ = monthly_cost("aws-lambda x86_64", "pipeline", lam, DEFAULT_MIX, volume * 2)
    knative_above, _ = monthly_cost("knative gke", "mono", kn, DEFAULT_MIX, volume * 2)
    assert knative_below > below and knative_above < above


def test_pipeline_costs_more_than_mono_and_memory_follows_the_peak():
    figures = _figures(5.0, mb=300.0)
    mono = estimate("aws-lambda x86_64", "mono", figures, DEFAULT_MIX, 1_000_000)
    pipeline = estimate("aws-lambda x86_64", "pipeline", figures, DEFAULT_MIX, 1_000_000)
    assert pipeline.monthly_no_free_tier_usd > mono.monthly_no_free_tier_usd
    assert mono.memory_mb == 375  # 300 MB x 1.25 headroom, Lambda's 1 MB steps
    assert mono.per_message_usd == mono.monthly_no_free_tier_usd / 1_000_000


def test_mix_shares_come_from_the_bots_own_parser():
    bot = Bot(Settings(load_entry_points=False))
    mix = mix_from_texts(["/uptime", "/uptme", "hello", "/define crd"], bot)
    assert (mix.command_share, mix.reply_share) == (0.5, 0.75)
    assert mix.events_per_message() == 2.25
    assert mix_from_texts(list(DEFAULT_MIX.texts), bot) == DEFAULT_MIX


def test_summary_statistics():
    assert summarise([3.0, 1.0, 2.0]) == (2.0, 2.0, 3.0)
    mean, median, p99 = summarise([float(i) for i in range(1, 101)])
    assert (median, p99) == (50.5, 99.0)


@pytest.mark.slow  # the CLI in a subprocess, measuring in more
def test_cost_command_end_to_end_json_and_chart(tmp_path):
    chart = tmp_path / "cost.png"
    done = subprocess.run([sys.executable, "-m", "functions.local.cli", "cost", "--quick", "--json",
                           "--target", "aws-lambda", "--target", "knative", "--chart", str(chart),
                           "--messages-per-month", "5000000"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    labels = {(e["label"], e["topology"]) for e in report["estimates"]}
    assert ("aws-lambda arm64", "pipeline") in labels and ("knative gke", "mono") in labels
    assert set(report["measured"]) == {"aws-lambda", "knative"}
    assert report["price_date"] == "2026-11-28"
    cheapest = min(report["estimates"], key=lambda estimate: estimate["monthly_usd"])
    assert report["cheapest"] == {"target": cheapest["label"], "topology": cheapest["topology"],
                                  "monthly_usd": cheapest["monthly_usd"]}
    assert report["cheapest"]["monthly_usd"] > 0  # 5 M messages a month are past every free tier
    # The log volume is carried, per role and per message, and said not to be priced.
    assert report["measured"]["aws-lambda"]["mono"]["caused"]["log_lines"] > 0
    lambdas = [e for e in report["estimates"] if e["target"] == "aws-lambda"]
    assert lambdas and all(e["log_bytes_per_message"] > 0 and e["log_lines_per_message"] > 0 for e in lambdas)
    assert "not in the totals" in report["log_bytes_not_priced"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow  # the CLI in a subprocess
def test_model_only_mode_prints_the_bill():
    done = subprocess.run([sys.executable, "-m", "functions.local.cli", "cost", "--target", "aws-lambda",
                           "--invocations", "3000000", "--duration-ms", "120", "--memory-mb", "1536", "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_usd"] == 2.73  # AWS's own example 1


@pytest.mark.slow  # the CLI in a subprocess
def test_model_only_mode_needs_all_its_figures():
    done = subprocess.run([sys.executable, "-m", "functions.local.cli", "cost", "--target", "gcf", "--plan",
                           "gen2", "--invocations", "10"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 2 and "needs one --target and all of" in done.stderr


@pytest.mark.slow  # the CLI in a subprocess
def test_an_old_target_spelling_names_the_canonical_one():
    done = subprocess.run([sys.executable, "-m", "functions.local.cli", "cost", "--target", "gcf-gen2",
                           "--invocations", "10"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 2 and "it is target 'gcf' with plan 'gen2'" in done.stderr


def test_every_measured_invocation_is_a_new_delivery(monkeypatch):
    """Repeated ids would be skipped as retries (dedupe) and measure nothing."""
    from tooling.costing.samples import inputs_for

    monkeypatch.setenv("SLACK_SIGNING_SECRET", "measure-secret")
    monkeypatch.delenv("BOTLESS_COST_MIX", raising=False)
    webhooks = inputs_for("receive", 50)
    bodies = [json.loads(sample.body) for sample in webhooks]
    assert len({body["event_id"] for body in bodies}) == 50
    assert len({body["event"]["ts"] for body in bodies}) == 50
    for role in ("parse", "command", "respond"):
        events = inputs_for(role, 30)
        assert len({event["id"] for event in events}) == 30, role
