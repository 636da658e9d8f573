"""`botless cost --target/--plan`: which billing models a choice prices."""

from __future__ import annotations

from tooling.costing.command import labels_for


def test_no_choice_prices_every_plan_of_every_target() -> None:
    assert labels_for(None) == ["knative gke", "gcf gen2", "gcf gen1", "aws-lambda x86_64", "aws-lambda arm64",
                                "azure flex", "azure consumption"]


def test_a_plan_narrows_only_the_target_it_belongs_to() -> None:
    assert labels_for(["gcf", "azure"], ["gen1"]) == ["gcf gen1", "azure flex", "azure consumption"]
    assert labels_for(["azure"], ["consumption"]) == ["azure consumption"]
    assert labels_for(["aws-lambda"]) == ["aws-lambda x86_64", "aws-lambda arm64"]
