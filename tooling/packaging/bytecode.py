"""Bytecode for the runtime's Python, compiled once at build time instead of at every cold start.

A .pyc holds bytecode for one Python minor version only (its magic number), so the
files are compiled by an interpreter of the runtime's version: this one when it is, else
`python3.12` (say) from PATH or from pyenv's or uv's folders; with none,
the artifact ships source only and the packager says so. The artifact is byte-identical
on every machine with that Python. Hash-based .pyc (PEP 552) carry the
source's hash instead of its mtime, and UNCHECKED_HASH tells the runtime not to re-read
the source to check it: an artifact is never edited in place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

# marshal writes a string as a back-reference when other objects hold it too, so the
# bytes of a .pyc depend on what the compiling process has loaded. A fresh interpreter
# (-I -S: no site, no environment) compiling the sorted files gives the same bytes on
# every machine with the same Python.
_COMPILE = """
import py_compile, sys
from pathlib import Path
print(sys.implementation.cache_tag)
root = Path(sys.argv[1])
for name in sys.stdin.read().split("\\n"):
    if not name:
        continue
    try:
        py_compile.compile(str(root / name), str(root / sys.argv[2] / name), dfile=name, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError:
        pass
"""
_OUT = ".pyc-out"


class BytecodeError(RuntimeError):
    """The compiling interpreter failed; the message has its error."""


def runtime_matches(python_version: str) -> bool:
    """True when this interpreter's .pyc fit the runtime's Python (`3.12`)."""
    return python_version == this_version()


def interpreter_for(python_version: str) -> str | None:
    """An interpreter of `python_version` (`3.12`): this one, else one found on PATH or in pyenv's or uv's
    folders; None when none runs.

    Each candidate is asked its version, since a pyenv shim exists for versions not selected.
    """
    if runtime_matches(python_version):
        return sys.executable
    for candidate in _candidates(python_version):
        try:
            asked = subprocess.run([candidate, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if asked.returncode == 0 and asked.stdout.strip() == python_version:
            return candidate
    return None


def _candidates(python_version: str) -> list[str]:
    name = f"python{python_version}"
    found = [path for path in [shutil.which(name, path=os.environ.get("PATH"))] if path]
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    uv = Path(os.environ.get("UV_PYTHON_INSTALL_DIR") or Path.home() / ".local/share/uv/python")
    # Newest patch release first (3.12.10 after 3.12.9: compared as numbers).
    for folder in (pyenv.glob(f"{python_version}.*/bin/{name}"), uv.glob(f"cpython-{python_version}.*/bin/{name}")):
        found.extend(str(path) for path in sorted(folder, key=_patch_level, reverse=True))
    return found


def _patch_level(path: Path) -> tuple[int, ...]:
    release = path.parent.parent.name.removeprefix("cpython-").split("-")[0]
    return tuple(int(part) for part in release.split(".") if part.isdigit())


def cache_name(source: str, cache_tag: str = sys.implementation.cache_tag) -> str:
    """Where the runtime looks for a source's .pyc: `core/bot.py` -> `core/__pycache__/bot.cpython-312.pyc`."""
    folder, _, name = source.rpartition("/")
    cached = f"__pycache__/{name[: -len('.py')]}.{cache_tag}.pyc"
    return f"{folder}/{cached}" if folder else cached


def bytecode_for(files: Mapping[str, bytes], interpreter: str = sys.executable) -> dict[str, bytes]:
    """A .pyc (unchecked hash) beside every .py of `files` (archive name -> bytes), compiled by `interpreter`.

    The .pyc names the archive path as its file, never a build folder. A file that is
    not valid Python for this version (a template, a vendored test of another Python) is
    left as source, as pip's own compile step does.
    """
    sources = sorted(name for name in files if name.endswith(".py"))
    with tempfile.TemporaryDirectory(prefix="botless-pyc-") as scratch:
        root = Path(scratch)
        for name in sources:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(files[name])
        done = subprocess.run([interpreter, "-I", "-S", "-c", _COMPILE, str(root), _OUT],
                              input="\n".join(sources), capture_output=True, text=True)
        if done.returncode != 0:
            raise BytecodeError(f"compiling the artifact's Python files failed:\n{done.stderr.strip()}")
        cache_tag = done.stdout.split("\n", 1)[0].strip()  # the compiling Python's, e.g. cpython-312
        compiled: dict[str, bytes] = {}
        for name in sources:
            pyc = root / _OUT / name
            if pyc.is_file():
                compiled[cache_name(name, cache_tag)] = pyc.read_bytes()
        return compiled


def this_version() -> str:
    """This interpreter's Python version, as a runtime names it (`3.11`)."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"
