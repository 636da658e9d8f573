"""The dependency rule of DESIGN.md: functions -> providers -> core, and core stays neutral.

tooling/ (packaging, pricing, cost measurement) sits beside them: it may use every layer, and
nothing that runs in the cloud imports it, so no artifact carries it.
"""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Cloud SDKs and web frameworks: none of them may be imported anywhere under core/.
FORBIDDEN_IN_CORE = {"boto3", "botocore", "google", "azure", "mangum", "functions_framework", "flask",
                     "starlette", "fastapi", "uvicorn", "aiohttp", "werkzeug", "providers", "functions",
                     "tooling"}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_cloud_sdk_web_framework_or_outer_layer():
    offenders = {
        str(path.relative_to(REPO)): sorted(imported_top_levels(path) & FORBIDDEN_IN_CORE)
        for path in (REPO / "core").rglob("*.py")
    }
    assert {file: names for file, names in offenders.items() if names} == {}


def test_providers_never_import_functions():
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "providers").rglob("*.py")
                 if imported_top_levels(p) & {"functions", "tooling"}]
    assert offenders == []


def test_no_cloud_entrypoint_imports_tooling():
    # functions/local is the developer's CLI (its cost and package commands use tooling);
    # the cloud entrypoints beside it must not.
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "functions").rglob("*.py")
                 if "local" not in p.relative_to(REPO / "functions").parts and "tooling" in imported_top_levels(p)]
    assert offenders == []
