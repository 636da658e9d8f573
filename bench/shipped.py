"""Botless's artifacts as shipped: `botless package --target <t> --platform slack`, unpacked into a temp dir.

Built for this interpreter's Python, so the bytecode they carry is the bytecode that
runs. The Knative build context gets its Dockerfile's compile step (hash-based .pyc);
its `pip install` is this venv's (the `bench` extra holds the same packages).
"""

from __future__ import annotations

import compileall
import py_compile
import re
import tarfile
import zipfile
from pathlib import Path

from tooling.packaging import PackageOptions, package
from tooling.packaging.bytecode import this_version

ROOT = Path(__file__).resolve().parents[1]


def built(target: str, where: Path) -> Path:
    """The Slack-only artifact of `target`, unpacked under `where`; the unpacked folder."""
    result = package(PackageOptions(target=target, out=where / "out", platforms=("slack",), env={},
                                    python_version=this_version()))
    unpacked = where / "artifact"
    path = result.artifact.path
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            archive.extractall(unpacked, filter="data")
    else:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(unpacked)
    if target == "knative":
        for package_dir in ("core", "providers", "functions"):
            compileall.compile_dir(unpacked / package_dir, quiet=1,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return unpacked


def lambda_handler(role: str = "mono") -> str:
    """The handler string infra/aws_lambda gives the role's function."""
    found = re.search(r'handler\s*=\s*"([^"]+)"', (ROOT / "infra/aws_lambda/lambda.tf").read_text())
    if found is None:
        raise RuntimeError("infra/aws_lambda/lambda.tf names no handler")
    return found.group(1).replace("${each.key}", role)


def size_mib(folder: Path) -> float:
    """Unpacked size: the bytes of every file under `folder`, in MiB."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
