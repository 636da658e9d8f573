"""Byte-identical archives: sorted entries, a fixed date, fixed owners and permissions.

The same files give the same zip or tar.gz on every run, so a Terraform plan shows no
change when nothing changed and a reviewer can compare sha256 sums.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The earliest date a zip can hold; tar and gzip get the same instant.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FIXED_EPOCH = 315532800
FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclass(frozen=True)
class Artifact:
    """One file `botless package` wrote: where, how big, and its sha256."""

    path: Path
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Artifact:
        data = path.read_bytes()
        return cls(path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    def line(self) -> str:
        """The line the CLI prints: path, size in bytes, sha256."""
        return f"{self.path}  {self.size} bytes  sha256:{self.sha256}"


def write_zip(path: Path, files: Mapping[str, bytes]) -> Artifact:
    """Write `files` (archive name -> content) as a deterministic zip at `path`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is honoured on every OS
            info.external_attr = (0o100000 | FILE_MODE) << 16
            archive.writestr(info, files[name], compresslevel=9)
    return _write(path, buffer.getvalue())


def write_tar_gz(path: Path, files: Mapping[str, bytes]) -> Artifact:
    """Write `files` as a deterministic gzip-compressed tar (a `docker build -` context)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for directory in _directories(files):
            archive.addfile(_tar_info(directory, tarfile.DIRTYPE, 0, DIR_MODE))
        for name in sorted(files):
            data = files[name]
            archive.addfile(_tar_info(name, tarfile.REGTYPE, len(data), FILE_MODE), io.BytesIO(data))
    compressed = io.BytesIO()
    # filename="" and mtime keep the gzip header free of the build's path and time.
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=FIXED_EPOCH, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return _write(path, compressed.getvalue())


def _tar_info(name: str, kind: bytes, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mode = mode
    info.mtime = FIXED_EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _directories(files: Mapping[str, bytes]) -> list[str]:
    found: set[str] = set()
    for name in files:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            found.add("/".join(parts[:depth]))
    return sorted(found)


def _write(path: Path, data: bytes) -> Artifact:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Artifact(path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest())
