"""The stores' real servers on 127.0.0.1, one per test session: Redis, the Firestore emulator, Azurite.

Each is started in its own process group on a free port and stopped by that group at the
end of the session. `.ci/services.sh` (redis-server, Azurite) and `.ci/emulators.sh`
(Java, the Firestore emulator) install them; a test that needs one skips only where it is
not installed, and those scripts make CI fail instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.servers import free_port

F = TypeVar("F", bound=Callable[..., Any])
# The names of the fixtures that start a server: a test using one, even through another
# fixture, is marked slow (tests/conftest.py), so `pytest -m "not slow"` is the inner loop.
SERVICE_FIXTURES: set[str] = set()


def service_fixture(*, scope: str = "function", **options: Any) -> Callable[[F], F]:
    """`pytest.fixture(scope=..., **options)` for a fixture that starts a process, an emulator or
    a server on loopback (uvicorn, moto): the tests that use it are marked slow."""
    def register(function: F) -> F:
        SERVICE_FIXTURES.add(function.__name__)
        return pytest.fixture(scope=scope, **options)(function)  # type: ignore[call-overload]

    return register

SDK_DIRS = ("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk")
# Microsoft's published development account of Azurite (a well-known, public key; tests only).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class Service:
    """A server process in its own process group, with its log."""

    def __init__(self, name: str, command: list[str], log: Path, ready: Callable[[], bool],
                 timeout: float = 60.0, cwd: Path | None = None) -> None:
        self.name = name
        self._log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=cwd)
        try:
            self._wait(ready, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self._log_path.read_text(errors='replace')[-2000:]}")
            if ready():
                return
            time.sleep(0.05)  # the server is still starting
        raise RuntimeError(f"{self.name} did not start in {timeout} s: "
                           f"{self._log_path.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


def _listening(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    return check


def _http_ok(port: int) -> Callable[[], bool]:
    def check() -> bool:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as answer:
                return answer.read().strip() == b"Ok"
        except (urllib.error.URLError, OSError):
            return False

    return check


# -- Redis ------------------------------------------------------------------------------

def redis_command(port: int) -> list[str] | None:
    """redis-server on `port`, without persistence; None when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def start_redis(workdir: Path) -> tuple[Service, str]:
    port = free_port()
    command = redis_command(port)
    assert command is not None
    return Service("redis-server", command, workdir / "redis.log", _listening(port), cwd=workdir), \
        f"redis://127.0.0.1:{port}/0"


# -- the Firestore emulator -------------------------------------------------------------

def firestore_command(port: int) -> list[str] | None:
    """Google's Firestore emulator on 127.0.0.1:`port` (Java 17+); None when it is not installed."""
    if not shutil.which("java"):
        return None
    for base in SDK_DIRS:
        binary = Path(base) / "platform" / "cloud-firestore-emulator" / "cloud_firestore_emulator"
        if binary.exists():
            return [str(binary), "start", "--host=127.0.0.1", f"--port={port}"]
    if shutil.which("gcloud"):
        return ["gcloud", "emulators", "firestore", "start", f"--host-port=127.0.0.1:{port}"]
    return None


def start_firestore(workdir: Path) -> tuple[Service, str]:
    port = free_port()
    command = firestore_command(port)
    assert command is not None
    service = Service("the Firestore emulator", command, workdir / "firestore.log", _http_ok(port), cwd=workdir)
    try:
        warm_firestore(f"127.0.0.1:{port}")
    except BaseException:
        service.stop()
        raise
    return service, f"127.0.0.1:{port}"


def warm_firestore(host_port: str) -> None:
    """Write, read and delete one document, so the emulator's first Commit is not a test's.

    That one takes the JVM about a second on a quiet machine and more than the stores' 2 s
    timeout on a busy one (two workers, emulators, functions-framework processes): the
    claim then raises although its write landed, and its lease refuses every redelivery
    for as long as it lasts (tests/targets/test_redelivery.py timed out so).
    """
    from unittest import mock

    with mock.patch.dict(os.environ, {"FIRESTORE_EMULATOR_HOST": host_port}):
        from google.cloud import firestore

        client = firestore.Client(project="botless-warm-up")  # reads the emulator's address here
    try:
        document = client.collection("warm-up").document("first")
        document.create({"warm": True}, timeout=60)
        document.get(timeout=60)
        document.delete(timeout=60)
    finally:
        client.close()


# -- Azurite (Table service) ------------------------------------------------------------

def botless_cache() -> Path:
    """The folder .ci/install installs the tests' tools into (the same default as .ci/lib.sh)."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "botless"
    return Path(os.environ.get("BOTLESS_CACHE") or default)


def azurite_table_binary() -> str | None:
    """azurite-table from BOTLESS_AZURITE, the CI tools folder (.ci/services.sh) or PATH."""
    tools = Path(os.environ.get("BOTLESS_TOOLS") or botless_cache() / "tools")
    for candidate in (os.environ.get("BOTLESS_AZURITE", ""), str(tools / "node_modules" / ".bin" / "azurite-table")):
        if candidate and Path(candidate).is_file() and shutil.which("node"):
            return candidate
    return shutil.which("azurite-table")


def start_azurite(workdir: Path) -> tuple[Service, str]:
    port = free_port()
    binary = azurite_table_binary()
    assert binary is not None
    command = [binary, "--tableHost", "127.0.0.1", "--tablePort", str(port), "--inMemoryPersistence",
               "--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    connection = (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                  f"TableEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")
    return Service("Azurite", command, workdir / "azurite.log", _listening(port), cwd=workdir), connection


# -- session fixtures (imported by tests/conftest.py) --------------------------------------

@service_fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """redis://127.0.0.1:PORT/0 of a redis-server for this session."""
    if redis_command(0) is None:
        pytest.skip("redis-server is not installed here (.ci/services.sh installs it)")
    service, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    service.stop()


@service_fixture(scope="session")
def firestore_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """host:port of the Firestore emulator for this session (FIRESTORE_EMULATOR_HOST)."""
    if firestore_command(0) is None:
        pytest.skip("the Firestore emulator or Java is not installed here (.ci/emulators.sh installs both)")
    service, host_port = start_firestore(tmp_path_factory.mktemp("firestore"))
    yield host_port
    service.stop()


@service_fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The connection string of Azurite's Table service for this session (dev account)."""
    if azurite_table_binary() is None:
        pytest.skip("Azurite is not installed here (.ci/services.sh installs it with npm)")
    service, connection = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield connection
    service.stop()
