"""Shared fixtures: one real Lambda build (pip, for Linux) per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services import service_fixture
from tooling.packaging import PackageError, PackageOptions, package
from tooling.targets import CHAT_EXTRAS


@service_fixture(scope="session")  # pip, in a subprocess
def lambda_build(tmp_path_factory: pytest.TempPathFactory):
    """`botless package --target aws-lambda` with dependencies and every platform (pip: PyPI or its cache)."""
    out = tmp_path_factory.mktemp("lambda-build")
    try:
        return package(PackageOptions(target="aws-lambda", topology="mono", out=out, platforms=CHAT_EXTRAS))
    except PackageError as error:  # pragma: no cover - only without PyPI
        pytest.fail(f"the Lambda package with dependencies could not be built: {error}")


def code_only(target: str, out: Path, **kwargs: object):
    """A build without a pip run (works offline), and no bytecode unless asked (test_lean.py checks that)."""
    options = {"compile_bytecode": False, **kwargs}
    return package(PackageOptions(target=target, out=out, dependencies=False, **options))  # type: ignore[arg-type]
