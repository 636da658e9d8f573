"""What of the installed dependencies a bundled artifact leaves out, and why.

Two kinds of files go: those that describe one install rather than the package (pip's
RECORD lists hashes of console scripts whose first line is the building venv's
interpreter; INSTALLER, REQUESTED and direct_url.json say how pip was called), so the
artifact is the same from any venv; and parts of a dependency that no Botless code path
imports on a deployed function (slack_sdk's asyncio, OAuth, Socket Mode and admin API
clients; the legacy `slack` package; a test client; all of `packaging` but its version module).
tests/packaging/test_lean.py runs the trimmed Lambda zip on its own and answers a signed
Events callback with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

# Files under <dist>.dist-info/ that vary with the install, not with the package.
INSTALL_RECORDS = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})

# Archive-name patterns (fnmatch, `*` crosses folders) nothing deployed imports.
UNUSED = (
    # slack_sdk: Botless uses the sync WebClient and WebhookClient (it checks signatures with hmac).
    "slack/*",
    "slack_sdk/aiohttp_version_checker.py",
    "slack_sdk/audit_logs/*",
    "slack_sdk/oauth/*",
    "slack_sdk/rtm/*",
    "slack_sdk/rtm_v2/*",
    "slack_sdk/scim/*",
    "slack_sdk/signature/*",
    "slack_sdk/socket_mode/*",
    "slack_sdk/http_retry/async_handler.py",
    "slack_sdk/http_retry/builtin_async_handlers.py",
    "slack_sdk/web/async_*.py",
    "slack_sdk/web/legacy_*.py",
    "slack_sdk/webhook/async_client.py",
    # Starlette's test client (it imports httpx, which a Slack-only bot does not ship).
    "starlette/testclient.py",
    # cloudevents' Kafka and pydantic bindings (Botless speaks HTTP and uses cloudevents.http).
    "cloudevents/kafka/*",
    "cloudevents/pydantic/*",
    # anyio runs on asyncio here (Mangum's loop); its trio backend and pytest plugin are not loaded.
    "anyio/_backends/_trio.py",
    "anyio/pytest_plugin.py",
    # Type stubs and markers are for type checkers, not for the runtime.
    "*.pyi",
    "*/py.typed",
)

# Packages of which one module is used: only the files listed stay (cloudevents imports
# `deprecation`, which needs `packaging.version` alone, not the specifiers, tags or SPDX tables).
ONLY = {
    "packaging/": ("packaging/__init__.py", "packaging/version.py"),
}


def is_install_record(name: str) -> bool:
    """True for `<dist>.dist-info/RECORD` and the other per-install files."""
    parts = name.split("/")
    return len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] in INSTALL_RECORDS


def is_unused(name: str) -> bool:
    """True when `name` (an archive path) is a file of a dependency nothing deployed imports."""
    for folder, kept in ONLY.items():
        if name.startswith(folder):
            return name not in kept
    return any(fnmatchcase(name, pattern) for pattern in UNUSED)


def trimmed(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """`files` without install records and unused dependency files."""
    return {name: data for name, data in files.items() if not is_install_record(name) and not is_unused(name)}
