"""The dependency rule of DESIGN.md: functions -> providers -> core, and core stays neutral."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Cloud SDKs and web frameworks: none of them may be imported anywhere under core/.
FORBIDDEN_IN_CORE = {"boto3", "botocore", "google", "azure", "mangum", "functions_framework", "flask",
                     "starlette", "fastapi", "uvicorn", "aiohttp", "werkzeug", "providers", "functions"}


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
                 if "functions" in imported_top_levels(p)]
    assert offenders == []
