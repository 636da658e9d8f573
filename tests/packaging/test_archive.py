"""Deterministic archives: same files in, same bytes out."""

from __future__ import annotations

import gzip
import tarfile
import zipfile

from tooling.packaging.archive import FIXED_DATE, FIXED_EPOCH, write_tar_gz, write_zip

FILES = {"b/z.py": b"print('z')\n", "a.txt": b"a", "b/a.json": b"{}"}


def test_a_zip_is_byte_identical_whatever_the_insertion_order(tmp_path):
    first = write_zip(tmp_path / "1.zip", FILES)
    second = write_zip(tmp_path / "2.zip", dict(reversed(list(FILES.items()))))
    assert first.sha256 == second.sha256
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()


def test_zip_entries_are_sorted_dated_1980_and_world_readable(tmp_path):
    write_zip(tmp_path / "x.zip", FILES)
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(FILES)
    assert {i.date_time for i in infos} == {FIXED_DATE}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}
    assert {i.create_system for i in infos} == {3}


def test_a_tar_gz_is_byte_identical_and_carries_no_owner_or_time(tmp_path):
    first = write_tar_gz(tmp_path / "1.tar.gz", FILES)
    second = write_tar_gz(tmp_path / "2.tar.gz", dict(reversed(list(FILES.items()))))
    assert first.sha256 == second.sha256
    with tarfile.open(tmp_path / "1.tar.gz") as archive:
        members = archive.getmembers()
    assert {m.mtime for m in members} == {FIXED_EPOCH}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert [m.name for m in members if m.isdir()] == ["b"]
    # The gzip header holds neither the build's file name nor its time.
    header = (tmp_path / "1.tar.gz").read_bytes()[:10]
    assert int.from_bytes(header[4:8], "little") == FIXED_EPOCH
    assert gzip.decompress((tmp_path / "1.tar.gz").read_bytes())


def test_the_artifact_line_names_path_size_and_sha256(tmp_path):
    artifact = write_zip(tmp_path / "x.zip", FILES)
    line = artifact.line()
    assert str(tmp_path / "x.zip") in line and f"{artifact.size} bytes" in line
    assert f"sha256:{artifact.sha256}" in line and len(artifact.sha256) == 64
