"""Knative's figure: HTTP req/s and p99 of the signed slash command against a served app, over loopback.

Botless's Knative build context runs its Dockerfile's CMD (uvicorn, the context as the
working directory, PORT set), beside a plain Starlette service under the same uvicorn and a
bare function under the `functions-framework` CLI. The load is wrk when installed (one
thread, `connections` keep-alive connections), else a bounded asyncio loader of the same
shape. Servers take turns, `rounds` times, so noise hits all alike. Every request is
its own slash command (own trigger_id, own signature): a repeat would meet Botless's
dedupe and be answered with an empty ack, cheaper than a command.
"""

from __future__ import annotations

import asyncio
import json
import math
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
from bench.fixture import PATH, signed, slash_command
from bench.peers import FUNCTIONS_FRAMEWORK, write
from tooling.processes import stop

# Distinct requests per second of load, above what any contestant serves here: past them a
# server sees repeats, which Botless answers as duplicates (an empty ack, counted failed).
POOL_PER_SECOND = 12000


@dataclass
class Served:
    requests_per_s: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    failed: int = 0  # answers that were not a 200 with the text, and requests past the pool (repeats)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def commands(contestants: list[Contestant], work: Path) -> dict[str, tuple[list[str], Path, dict[str, str]]]:
    """name -> (command, working directory, env) of the served contestants; `{port}` is filled in at start."""
    bindir = Path(sys.executable).parent
    path = f"{bindir}:/usr/bin:/bin"  # the venv's uvicorn and functions-framework, as the image's pip put them
    found: dict[str, tuple[list[str], Path, dict[str, str]]] = {}
    for contestant in contestants:
        if contestant.name == "botless-knative":
            found[contestant.name] = (dockerfile_cmd(contestant.folder / "Dockerfile"), contestant.folder,
                                      {**contestant.env, "PATH": path, "PORT": "{port}"})
        elif contestant.name == "starlette":  # the same uvicorn flags as Botless's CMD
            uvicorn = [str(bindir / "uvicorn"), "service:app", "--host", "127.0.0.1", "--port", "{port}",
                       "--no-access-log"]
            found[contestant.name] = (uvicorn, contestant.folder, {**contestant.env, "PATH": path})
    if found:  # the functions-framework reference is served whenever a Knative app is
        folder = write(work / "ff-served", "main.py", FUNCTIONS_FRAMEWORK)
        ff = [str(bindir / "functions-framework"), "--target", "slack", "--source", "main.py", "--host", "127.0.0.1",
              "--port", "{port}"]
        found["functions-framework"] = (ff, folder, {**next(iter(found.values()))[2], "PATH": path})
    return found


def dockerfile_cmd(dockerfile: Path) -> list[str]:
    """The image's CMD, bound to loopback instead of every interface."""
    found = re.search(r"^CMD\s+(\[.*\])\s*$", dockerfile.read_text(), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"{dockerfile} has no exec-form CMD")
    command: list[str] = json.loads(found.group(1))
    bound = [part.replace("--host 0.0.0.0", "--host 127.0.0.1") for part in command]
    if bound == command:
        raise RuntimeError(f"{dockerfile}'s CMD no longer binds --host 0.0.0.0: translate its host here")
    return bound


@contextmanager
def serving(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server
    process = subprocess.Popen([part.replace("{port}", str(port)) for part in command], cwd=cwd,
                               env={k: v.replace("{port}", str(port)) for k, v in env.items()}, stdout=log, stderr=log)
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
        stop(process, grace_seconds=15)
        log.close()


def measure(contestants: list[Contestant], work: Path, rounds: int, seconds: float,
            connections: int = 16) -> tuple[str, dict[str, Served]]:
    """The loader's name and, per served app, its req/s and p99 per round."""
    served = commands(contestants, work)
    results = {name: Served() for name in served}
    loader = "wrk" if shutil.which("wrk") else "asyncio"
    with _all_serving(served) as urls:
        for _ in range(rounds):
            variants = pool(*slash_command(), POOL_PER_SECOND * math.ceil(seconds))
            for name, url in urls.items():
                rate, p99, failed = (_wrk if loader == "wrk" else _asyncio)(url, variants, seconds, connections)
                results[name].requests_per_s.append(rate)
                results[name].p99_ms.append(p99)
                results[name].failed += failed
    return loader, results


@contextmanager
def _all_serving(served: dict[str, tuple[list[str], Path, dict[str, str]]]) -> Iterator[dict[str, str]]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield {name: stack.enter_context(serving(*spec)) for name, spec in served.items()}


def pool(headers: dict[str, str], body: bytes, size: int) -> list[tuple[dict[str, str], bytes]]:
    """`size` variants of the fixture, each its own trigger_id and signature: a repeat would be a duplicate.

    The trigger_ids are unique to the call (a nanosecond stamp leads them): a server that
    met one in an earlier round would answer its repeat as a duplicate.
    """
    variants, nonce = [], time.time_ns()
    for number in range(size):
        varied = body.replace(b"trigger_id=", b"trigger_id=%d.%d." % (nonce, number), 1)
        variants.append((signed(varied, int(headers["x-slack-request-timestamp"])), varied))
    return variants


# wrk cycles through the pool; every answer that is not a 200 carrying a text is counted.
_WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  bad, sent, pool = 0, 0, {}
  for i, body in ipairs(bodies) do
    local headers = {["content-type"] = "application/x-www-form-urlencoded",
                     ["x-slack-request-timestamp"] = stamp, ["x-slack-signature"] = signatures[i]}
    pool[i] = wrk.format("POST", path, headers, body)
  end
end
function request() sent = sent + 1; return pool[(sent - 1) % #pool + 1] end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"text"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write("BAD " .. total .. "\\n")
end
"""


def _wrk(url: str, variants: list[tuple[dict[str, str], bytes]], seconds: float,
         connections: int) -> tuple[float, float, int]:
    stamp = variants[0][0]["x-slack-request-timestamp"]
    data = [f"path = {_lua(PATH)}", f"stamp = {_lua(stamp)}",
            "bodies = {" + ",".join(_lua(body.decode()) for _, body in variants) + "}",
            "signatures = {" + ",".join(_lua(h["x-slack-signature"]) for h, _ in variants) + "}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write("\n".join(data) + _WRK_SCRIPT)
        script.flush()
        done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
                               "-s", script.name, url], capture_output=True, text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", done.stdout).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = int(re.search(r"BAD (\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    # Past the pool a server sees repeats: Botless answers one with an empty ack (counted bad
    # by the script), a service that deduplicates nothing answers it as before (not a failure).
    return rate, p99, bad


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _asyncio(url: str, variants: list[tuple[dict[str, str], bytes]], seconds: float,
             connections: int) -> tuple[float, float, int]:
    """Keep-alive HTTP/1.1 POSTs from `connections` clients for `seconds`; req/s, p99 ms, failures."""
    port = int(url.split(":")[2].split("/")[0])
    requests = [(f"POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                 + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                 + f"content-length: {len(body)}\r\n\r\n").encode() + body for headers, body in variants]
    latencies: list[float] = []
    failed = 0

    async def client(until: float) -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(requests[len(latencies) % len(requests)])
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            said = await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            failed += not status_line.split(b" ")[1].startswith(b"2") or b'"text"' not in said
        writer.close()

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(started + seconds) for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    ordered = sorted(latencies) or [0.0]
    return len(latencies) / elapsed, ordered[max(0, int(len(ordered) * 0.99) - 1)], failed


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
