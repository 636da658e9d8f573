"""The Knative build context's Dockerfile, told which platforms' extras to install.

The image installs the project with pip (`pip install ".[${BOTLESS_EXTRAS}]"`), so the
platforms an image carries are the default of its `ARG BOTLESS_EXTRAS=` line; the
packaged context gets that default written in, and `docker build -` needs no
--build-arg. The same Dockerfile compiles the source to bytecode at build time
(`compileall --invalidation-mode unchecked-hash`): the image puts /app first on the
path and cannot write there, so without it every container start compiles Botless.
"""

from __future__ import annotations

import re

EXTRAS_ARG = "BOTLESS_EXTRAS"
_ARG_LINE = re.compile(rb"^ARG " + EXTRAS_ARG.encode() + rb"=.*$", re.MULTILINE)


def takes_extras(dockerfile: bytes) -> bool:
    """True when the Dockerfile reads its extras from `ARG BOTLESS_EXTRAS=...`."""
    return _ARG_LINE.search(dockerfile) is not None


def compiles_bytecode(dockerfile: bytes) -> bool:
    """True when the Dockerfile compiles the source at build time with hash-based .pyc."""
    return b"compileall" in dockerfile and b"unchecked-hash" in dockerfile


def with_extras(dockerfile: bytes, extras: tuple[str, ...]) -> bytes:
    """The Dockerfile with `extras` as the default of its BOTLESS_EXTRAS argument (unchanged without one)."""
    line = f"ARG {EXTRAS_ARG}={','.join(extras)}".encode()
    return _ARG_LINE.sub(lambda _: line, dockerfile, count=1)
