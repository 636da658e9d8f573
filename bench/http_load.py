"""Knative's figure: HTTP req/s and p99 of the signed slash command against a served app, over loopback.

Botless's Knative build context runs as its Dockerfile's CMD does (uvicorn, the context
as the working directory), beside a plain Starlette service under the same uvicorn and a
bare function under the `functions-framework` CLI. The load is wrk when installed (one
thread, `connections` keep-alive connections), else a bounded asyncio loader of the same
shape. Servers take turns, `rounds` times, so noise hits all alike.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.contestants import Contestant
from bench.fixture import PATH, slash_command
from bench.peers import FUNCTIONS_FRAMEWORK, write


@dataclass
class Served:
    requests_per_s: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    failed: int = 0  # non-2xx answers and socket errors


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def commands(contestants: list[Contestant], work: Path) -> dict[str, tuple[list[str], Path, dict[str, str]]]:
    """name -> (command without the port, working directory, env) for the served contestants."""
    bindir = Path(sys.executable).parent
    found: dict[str, tuple[list[str], Path, dict[str, str]]] = {}
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log", "--port"]
    for contestant in contestants:
        if contestant.name == "botless-knative":
            found["botless-knative"] = ([*uvicorn[:3], "functions.knative.app:app", *uvicorn[3:]], contestant.folder,
                                        contestant.env)
        elif contestant.name == "starlette":
            found["starlette"] = ([*uvicorn[:3], "service:app", *uvicorn[3:]], contestant.folder, contestant.env)
    if found:  # the functions-framework reference is served whenever a Knative app is
        folder = write(work / "ff-served", "main.py", FUNCTIONS_FRAMEWORK)
        ff = [str(bindir / "functions-framework"), "--target", "slack", "--source", "main.py", "--host", "127.0.0.1",
              "--port"]
        env = dict(next(iter(found.values()))[2])
        found["functions-framework"] = (ff, folder, {**env, "PATH": f"{bindir}:/usr/bin:/bin"})
    return found


@contextmanager
def serving(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server
    process = subprocess.Popen([*command, str(port)], cwd=cwd, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{command[:4]} did not listen: {log.read()[-2000:].decode()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}{PATH}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def measure(contestants: list[Contestant], work: Path, rounds: int, seconds: float,
            connections: int = 16) -> tuple[str, dict[str, Served]]:
    """The loader's name and, per served app, its req/s and p99 per round."""
    served = commands(contestants, work)
    results = {name: Served() for name in served}
    loader = "wrk" if shutil.which("wrk") else "asyncio"
    with _all_serving(served) as urls:
        for _ in range(rounds):
            headers, body = slash_command()
            for name, url in urls.items():
                rate, p99, failed = (_wrk if loader == "wrk" else _asyncio)(url, headers, body, seconds, connections)
                results[name].requests_per_s.append(rate)
                results[name].p99_ms.append(p99)
                results[name].failed += failed
    return loader, results


@contextmanager
def _all_serving(served: dict[str, tuple[list[str], Path, dict[str, str]]]) -> Iterator[dict[str, str]]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield {name: stack.enter_context(serving(*spec)) for name, spec in served.items()}


def _wrk(url: str, headers: dict[str, str], body: bytes, seconds: float, connections: int) -> tuple[float, float, int]:
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua(body.decode())}"]
    lines += [f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write("\n".join(lines) + "\n")
        script.flush()
        done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
                               "-s", script.name, url], capture_output=True, text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", done.stdout).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    failed = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?):\s*(\d+)", done.stdout))
    return rate, p99, failed


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _asyncio(url: str, headers: dict[str, str], body: bytes, seconds: float,
             connections: int) -> tuple[float, float, int]:
    """Keep-alive HTTP/1.1 POSTs from `connections` clients for `seconds`; req/s, p99 ms, failures."""
    port = int(url.split(":")[2].split("/")[0])
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (f"POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\n{head}content-length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    failed = 0

    async def client(until: float) -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            failed += not status_line.split(b" ")[1].startswith(b"2")
        writer.close()

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(started + seconds) for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    ordered = sorted(latencies) or [0.0]
    return len(latencies) / elapsed, ordered[int(len(ordered) * 0.99) - 1 if len(ordered) > 1 else 0], failed


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
