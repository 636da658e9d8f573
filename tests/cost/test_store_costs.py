"""What a message causes beyond compute, counted on the real code and priced: the dedupe
store's calls, mono's deferrals (a second invocation each), the chat secrets per cold start.
"""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

import pytest

from core.dedupe import MemoryDedupeStore, claim, confirm, is_confirmed, release
from tooling.costing.counting import Tally, count_deferrals, count_store
from tooling.costing.estimate import estimate, monthly_cost
from tooling.costing.figures import DEFAULT_MIX, Caused, RoleFigures
from tooling.costing.measure import Plan, measure

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
D = Decimal


def test_the_store_wrapper_counts_every_protocol_call_and_changes_no_answer() -> None:
    store, tally = MemoryDedupeStore(), Tally()
    count_store(store, tally)

    async def calls() -> list[bool]:
        first = await claim(store, "slack:Ev1", 60)
        again = await claim(store, "slack:Ev1", 60)
        await confirm(store, "slack:Ev1", 120)
        done = await is_confirmed(store, "slack:Ev1")
        await release(store, "slack:Ev1")
        return [first, again, done]

    assert asyncio.run(calls()) == [True, False, True]
    assert tally.to_dict() == {"claims": 2, "fresh": 1, "confirms": 1, "releases": 1, "lookups": 1,
                               "key_bytes": 9, "deferrals": 0, "log_lines": 0, "log_bytes": 0}


def test_the_deferral_wrapper_counts_only_hand_offs_that_succeeded() -> None:
    class Refusing:
        async def defer(self, event: object) -> None:
            raise RuntimeError("the bus refused")

    class Taking:
        async def defer(self, event: object) -> None:
            return None

    tally = Tally()
    refusing, taking = Refusing(), Taking()
    count_deferrals(refusing, tally)
    count_deferrals(taking, tally)
    asyncio.run(taking.defer(object()))
    with pytest.raises(RuntimeError):
        asyncio.run(refusing.defer(object()))
    assert tally.deferrals == 1


def _figures(caused: dict[str, Caused]) -> dict[str, RoleFigures]:
    return {role: RoleFigures("x", role, 10, 5.0, 5.0, 5.0, 100.0, 50.0, 40.0, 400.0, caused=caused[role])
            for role in caused}


PIPELINE_CAUSES = {"receive": Caused(claims=1, fresh_claims=1, key_bytes=36),
                   **{role: Caused(claims=1, fresh_claims=1, confirms=1, key_bytes=47)
                      for role in ("parse", "command", "respond")}}


def test_counted_store_calls_are_priced_per_message_on_each_store() -> None:
    """mono: one claim a message. DynamoDB: 1 WRU ($0.625/M), Firestore: a write and a TTL delete
    ($0.90/M + $0.10/M), Table Storage: a transaction ($0.036/M), Redis: nothing.
    """
    mono = _figures({"mono": Caused(claims=1, fresh_claims=1, key_bytes=36)})
    expected = {"aws-lambda x86_64": D("0.000000625"), "gcf gen2": D("0.000001"),
                "azure consumption": D("0.000000036"), "knative gke": D(0)}
    for label, per_message in expected.items():
        item = estimate(label, "mono", mono, DEFAULT_MIX, 1_000_000)
        assert item.store_ops_per_message["claims"] == 1, label
        assert item.store_usd_per_message == per_message, label


def test_pipeline_store_calls_follow_the_mix() -> None:
    """Each bus role claims and confirms; command and respond run for a share of the messages."""
    pipeline = _figures({**PIPELINE_CAUSES})
    item = estimate("aws-lambda x86_64", "pipeline", pipeline, DEFAULT_MIX, 1_000_000)
    events = 1 + DEFAULT_MIX.command_share + DEFAULT_MIX.reply_share
    assert item.store_ops_per_message["claims"] == pytest.approx(1 + events)
    assert item.store_ops_per_message["confirms"] == pytest.approx(events)
    assert item.store_usd_per_message == D("0.000000625") * (D(str(1 + events)) + D(str(events)))


def test_a_deferral_is_a_second_invocation_and_the_secrets_are_read_per_cold_start() -> None:
    deferring = _figures({"mono": Caused(claims=1, fresh_claims=1, deferrals=1, secret_calls=1, secret_values=2)})
    plain = _figures({"mono": Caused(claims=1, fresh_claims=1, secret_calls=1, secret_values=2)})
    item = estimate("aws-lambda x86_64", "mono", deferring, DEFAULT_MIX, 1_000_000)
    assert (item.invocations_per_message, item.deferred_invocations_per_message) == (2.0, 1.0)
    _, parts = monthly_cost("aws-lambda x86_64", "mono", deferring, DEFAULT_MIX, 1_000_000, free_tier=False)
    _, once = monthly_cost("aws-lambda x86_64", "mono", plain, DEFAULT_MIX, 1_000_000, free_tier=False)
    assert parts["bills"]["compute"].invocations == 2 * once["bills"]["compute"].invocations
    # One cold start: one SSM call (free at standard throughput) and 2 KMS decrypts at $0.03/10,000.
    assert item.secrets_usd_per_cold_start == D("0.000006")
    secrets = parts["bills"]["secrets"]
    assert [line.quantity for line in secrets.lines] == [20_000, 40_000]  # 1 % of 2M invocations start cold


@pytest.mark.slow  # measures the real Lambda handlers in fresh processes, against moto
def test_lambda_counts_come_from_the_real_handlers() -> None:
    """mono: 1 conditional write a message (the webhook's claim); parse: a claim and a confirm per
    event; the init reads the chat secrets from SSM in 1 call, 2 SecureStrings.
    """
    figures = measure(["aws-lambda"], ["mono", "parse"], Plan(invocations=3, cold_runs=1))["aws-lambda"]
    mono, parse = figures["mono"].caused, figures["parse"].caused
    assert (mono.claims, mono.fresh_claims, mono.confirms, mono.releases, mono.lookups) == (1, 1, 0, 0, 0)
    assert (parse.claims, parse.confirms) == (1, 1)
    assert (mono.secret_calls, mono.secret_values) == (1, 2)
    item = estimate("aws-lambda x86_64", "mono", figures, DEFAULT_MIX, 1_000_000)
    assert item.store_usd_per_message == D("0.000000625")  # 1 WRU


@pytest.mark.slow  # measures the real Knative and Azure apps in fresh processes
def test_knative_parse_claims_nothing_and_azure_mono_defers_a_slow_command(monkeypatch) -> None:
    plan = Plan(invocations=2, cold_runs=1)
    knative = measure(["knative"], ["parse", "respond"], plan)["knative"]
    # Knative's parse hands its event on in the reply: a redelivery runs again (providers/knative/app.py).
    assert knative["parse"].caused.claims == 0 and knative["respond"].caused.claims == 1
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(REPO)]))
    monkeypatch.setenv("BOTLESS_COMMANDS", "deferred_commands")
    azure = measure(["azure"], ["mono"], plan, texts=["/later"])["azure"]["mono"].caused
    assert azure.deferrals == 1 and azure.secret_references == 4  # 2 chat secrets + 2 app keys
