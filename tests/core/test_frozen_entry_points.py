"""Entry points frozen into an artifact at build time are what the loader finds, with no metadata scan."""

from __future__ import annotations

import json
import sys

import pytest

import core.loader
from core.loader import FROZEN_ENTRY_POINTS, FrozenEntryPoint, load_entry_points, read_frozen_entry_points
from core.registry import CommandSet
from tooling.packaging.entry_points import recorded_entry_points

DIST_INFO = b"""[console_scripts]
tool = elsewhere:main

[botless.commands]
Define = core.commands.define:commands
builtin = core.commands.builtin

[botless.platforms]
echo = core.chat.slack:SLACK [extra]
"""


def test_the_packager_records_the_botless_groups_of_the_bundled_distributions_only():
    files = {"mybot-1.0.dist-info/entry_points.txt": DIST_INFO, "mybot/__init__.py": b"",
             "other-2.0.dist-info/METADATA": b"Name: other\n"}
    recorded = json.loads(recorded_entry_points(files)[FROZEN_ENTRY_POINTS])
    assert recorded == {"botless.commands": [["Define", "core.commands.define:commands"],
                                             ["builtin", "core.commands.builtin"]],
                        "botless.platforms": [["echo", "core.chat.slack:SLACK [extra]"]]}


def test_nothing_to_record_is_still_a_file_so_the_runtime_does_not_scan():
    assert json.loads(recorded_entry_points({})[FROZEN_ENTRY_POINTS]) == {"botless.commands": [],
                                                                          "botless.platforms": []}


def test_a_frozen_entry_point_loads_an_attribute_or_a_module():
    from core.chat.slack import SLACK
    from core.commands import builtin, define

    assert FrozenEntryPoint("d", "core.commands.define:commands").load() is define.commands
    assert FrozenEntryPoint("b", "core.commands.builtin").load() is builtin
    assert FrozenEntryPoint("s", "core.chat.slack:SLACK [extra]").load() is SLACK


def test_no_file_means_none_so_a_source_checkout_scans(tmp_path):
    assert read_frozen_entry_points(tmp_path / FROZEN_ENTRY_POINTS) is None


@pytest.fixture
def frozen(tmp_path, monkeypatch):
    path = tmp_path / FROZEN_ENTRY_POINTS
    monkeypatch.setattr(core.loader, "FROZEN_PATH", str(path))
    core.loader._installed_entry_points.cache_clear()
    yield path
    core.loader._installed_entry_points.cache_clear()


def test_with_a_frozen_file_the_loader_reads_it_and_never_imports_importlib_metadata(frozen, monkeypatch):
    frozen.write_bytes(recorded_entry_points({"mybot-1.0.dist-info/entry_points.txt": DIST_INFO})[FROZEN_ENTRY_POINTS])
    monkeypatch.setitem(sys.modules, "importlib.metadata", None)  # any import of it raises ImportError
    sets = load_entry_points()
    assert sets and all(isinstance(found, CommandSet) for found in sets)
    assert [point.name for point in core.loader.installed(core.loader.PLATFORM_ENTRY_POINT_GROUP)] == ["echo"]


def test_without_a_frozen_file_the_installed_distributions_are_scanned(frozen, monkeypatch):
    monkeypatch.setitem(sys.modules, "importlib.metadata", None)
    with pytest.raises(ImportError):
        core.loader.installed(core.loader.ENTRY_POINT_GROUP)
