"""Bytecode for the runtime's Python, compiled once at build time instead of at every cold start.

A .pyc holds bytecode for one Python minor version only (its magic number), so the
files are compiled only when the building interpreter is the runtime's version; the
artifact is then byte-identical on every machine. Hash-based .pyc (PEP 552) carry the
source's hash instead of its mtime, and UNCHECKED_HASH tells the runtime not to re-read
the source to check it: an artifact is never edited in place.
"""

from __future__ import annotations

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


def cache_name(source: str) -> str:
    """Where the runtime looks for a source's .pyc: `core/bot.py` -> `core/__pycache__/bot.cpython-312.pyc`."""
    folder, _, name = source.rpartition("/")
    cached = f"__pycache__/{name[: -len('.py')]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{cached}" if folder else cached


def bytecode_for(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """A .pyc (unchecked hash) beside every .py of `files` (archive name -> bytes).

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
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _COMPILE, str(root), _OUT],
                              input="\n".join(sources), capture_output=True, text=True)
        if done.returncode != 0:
            raise BytecodeError(f"compiling the artifact's Python files failed:\n{done.stderr.strip()}")
        compiled: dict[str, bytes] = {}
        for name in sources:
            pyc = root / _OUT / name
            if pyc.is_file():
                compiled[cache_name(name)] = pyc.read_bytes()
        return compiled


def this_version() -> str:
    """This interpreter's Python version, as a runtime names it (`3.11`)."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"
