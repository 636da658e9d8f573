"""Fresh environments for a built artifact: a new venv, a clean environment, a server run until
a block ends, a POST; and a Knative build context's Dockerfile, run without Docker.

What tests/packaging/test_deployed_runs.py runs each artifact in (tests/packaging/deployed.py
holds the stand-in its calls go to and what the answers must be).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tooling.processes import stop

# -- fresh environments -----------------------------------------------------------------

def install_env() -> dict[str, str]:
    """This process's environment for pip (its index, certificates, cache), without this venv's Python settings."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def fresh_venv(where: Path, *install: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """A new venv at `where`, with `pip install <install>` run in it when given (PyPI or pip's cache); its python."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    if install:
        pip(python, *install, cwd=cwd, env=env)
    return python


def pip(python: Path, *arguments: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> None:
    """`pip install <arguments>` with `python`, quietly; fails the test with pip's own words."""
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments],
                          cwd=cwd, env=dict(env or install_env()), capture_output=True, text=True)
    assert done.returncode == 0, f"pip install {' '.join(arguments)} failed:\n{done.stderr[-3000:]}"


def clean_env(venv_python: Path | None = None, **settings: str) -> dict[str, str]:
    """A minimal environment: the venv's bin first on PATH, nothing of this test process."""
    path = "/usr/bin:/bin" if venv_python is None else f"{venv_python.parent}:/usr/bin:/bin"
    return {"PATH": path, "HOME": "/tmp", "LANG": "C.UTF-8", **settings}


@contextmanager
def serving(command: list[str], *, cwd: Path, env: Mapping[str, str], url: str, log: Path) -> Iterator[str]:
    """Run a server until the block ends; yields `url` once it answers HTTP there."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{command[0]} exited {process.returncode}:\n{log.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers: listening
            except OSError:
                assert time.monotonic() < deadline, f"{command[0]} did not listen:\n{log.read_text()[-4000:]}"
                time.sleep(0.1)  # still starting
        yield url
    finally:
        stop(process, grace_seconds=15)


def post(url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
    """POST over loopback HTTP; the status and the body, errors included."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# -- the Knative build context's Dockerfile, run without Docker ---------------------------

@dataclass
class Dockerfile:
    """The instructions of a Dockerfile that matter outside Docker (continuations joined)."""

    args: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Dockerfile:
        parsed = cls()
        kept = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        for line in filter(None, (part.strip() for part in re.sub(r"\\\n", " ", kept).splitlines())):
            word, _, rest = line.partition(" ")
            if word == "ARG" and "=" in rest:
                name, _, value = rest.partition("=")
                parsed.args[name] = value
            elif word == "ENV":
                parsed.env.update(pair.partition("=")[::2] for pair in shlex.split(rest))
            elif word == "COPY":
                *sources, destination = rest.split()
                parsed.copies.append((sources, destination))
            elif word == "RUN":
                parsed.runs.append(parsed.substitute(rest))
            elif word == "CMD":
                parsed.cmd = json.loads(rest)
        return parsed

    def substitute(self, text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: self.args.get(m.group(1), m.group(0)), text)

    def copy_into(self, context: Path, workdir: Path) -> None:
        """The COPY steps, from the build context into the image's WORKDIR."""
        for sources, destination in self.copies:
            for source in sources:
                target = workdir / destination / (Path(source).name if destination.endswith("/") else "")
                if (context / source).is_dir():
                    shutil.copytree(context / source, target)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(context / source, target)
