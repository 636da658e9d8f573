"""bench/deployed_lambda.py runs the shipped zip against moto: it answers from SSM's secret and claims in DynamoDB."""

from __future__ import annotations

import pytest

from bench import deployed_lambda


@pytest.mark.slow  # pip builds the zip; fresh interpreters against moto's server
def test_the_deployed_lambda_benchmark_answers_and_prints_its_three_figures(capsys) -> None:
    assert deployed_lambda.main(["--rounds", "1", "--events", "3"]) == 0
    out = capsys.readouterr().out
    assert "init phase" in out and "first answer" in out and "warm, per message over 3" in out
