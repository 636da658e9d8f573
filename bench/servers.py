"""Processes bench/load.py starts on 127.0.0.1: `botless serve` and redis-server."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from tooling.processes import stop

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BotlessServer:
    """`botless serve` in a subprocess; RuntimeError with its output if it does not start."""

    def __init__(self, port: int, env: Mapping[str, str]) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._env = dict(env)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__, after the server
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BotlessServer:
        command = [sys.executable, "-m", "functions.local.cli", "serve", "--port", str(self.port),
                   "--log-level", "WARNING"]
        self._process = subprocess.Popen(command, cwd=ROOT, env=self._env, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"botless serve exited with {self._process.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"botless serve did not answer /healthz within 30 s: {self.output()}")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            stop(self._process)
        self._log.close()

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def peak_rss_mb(self) -> float:
        """The server's own high-water mark (VmHWM), in MB."""
        assert self._process is not None
        with open(f"/proc/{self._process.pid}/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


class RedisServer:
    """redis-server on `port`, without persistence, for the length of a run."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisServer:
        self._process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            stop(self._process)
