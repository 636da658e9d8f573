"""Google's Pub/Sub emulator on loopback, for `botless cost` and the Cloud Functions tests.

It is Google's own emulator (Java, shipped with the Google Cloud CLI or Debian's
google-cloud-cli-pubsub-emulator); `.ci/emulators.sh` installs it where it is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SDK_DIRS = ("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk")


class EmulatorMissingError(FileNotFoundError):
    """The emulator or Java is not installed here."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def emulator_command(host_port: str, project: str) -> list[str] | None:
    """How to start the emulator on `host_port`, or None when it is not installed."""
    if not shutil.which("java"):
        return None
    host, port = host_port.rsplit(":", 1)
    for base in SDK_DIRS:
        binary = Path(base) / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
        if binary.exists():
            return [str(binary), f"--host={host}", f"--port={port}"]
    if shutil.which("gcloud"):
        return ["gcloud", "beta", "emulators", "pubsub", "start", f"--host-port={host_port}", f"--project={project}"]
    return None


class PubSubEmulator:
    """The emulator process, in its own process group so that stopping it stops Java too."""

    def __init__(self, log: Path, project: str, timeout: float = 60.0) -> None:
        self.project = project
        self.host_port = f"127.0.0.1:{_free_port()}"
        command = emulator_command(self.host_port, project)
        if command is None:
            raise EmulatorMissingError("the Pub/Sub emulator (and Java 17) are not installed: run .ci/emulators.sh")
        self._log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready(timeout)
            self.publisher, self.subscriber = self._clients()
        except BaseException:
            self._stop_process()
            raise

    def create_topics(self, topics: Iterable[str]) -> None:
        """Create each topic in the emulator's project."""
        for topic in topics:
            self.publisher.create_topic(name=self.publisher.topic_path(self.project, topic))

    def stop(self) -> None:
        self.publisher.stop()
        self.subscriber.close()
        self._stop_process()

    def _clients(self) -> tuple[Any, Any]:
        from google.cloud import pubsub_v1  # type: ignore[attr-defined]  # re-exported lazily, unseen by mypy

        # The clients read PUBSUB_EMULATOR_HOST when built; this process keeps its own setting.
        saved = os.environ.get("PUBSUB_EMULATOR_HOST")
        os.environ["PUBSUB_EMULATOR_HOST"] = self.host_port
        try:
            return pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
        finally:
            if saved is None:
                del os.environ["PUBSUB_EMULATOR_HOST"]
            else:
                os.environ["PUBSUB_EMULATOR_HOST"] = saved

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Pub/Sub emulator exited: {self._log_path.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://{self.host_port}/", timeout=1) as answer:
                    if answer.read().strip() == b"Ok":
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)  # the JVM needs a few seconds to listen
        raise RuntimeError(f"the Pub/Sub emulator did not start in {timeout} s")

    def _stop_process(self) -> None:
        stop_process_group(self.process)
        self._log.close()


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started with start_new_session=True, and its children, by its group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
