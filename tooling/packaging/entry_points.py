"""The entry points a bundled artifact carries, frozen at build time (core/loader.py reads them).

A zip that bundles its dependencies (Lambda) holds every distribution it will import from,
so the `botless.commands` and `botless.platforms` entry points they publish are known when
it is built. Recording them spares each cold start importlib.metadata and the scan of every
installed distribution. Entry points of packages outside the artifact (a Lambda layer) are
then not seen: bundle those packages, or name their modules in BOTLESS_COMMANDS.
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Mapping

from core.loader import FROZEN_ENTRY_POINTS, GROUPS


def recorded_entry_points(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """FROZEN_ENTRY_POINTS for the distributions among `files` (archive name -> bytes)."""
    groups: dict[str, list[list[str]]] = {group: [] for group in GROUPS}
    for name in sorted(files):
        parts = name.split("/")
        if len(parts) != 2 or not parts[0].endswith(".dist-info") or parts[1] != "entry_points.txt":
            continue
        # The format importlib.metadata reads: an INI file, `name = module:attr [extras]`.
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # names are case-sensitive
        parser.read_string(files[name].decode("utf-8"), source=name)
        for group in GROUPS:
            if parser.has_section(group):
                groups[group] += [[point, value.strip()] for point, value in parser.items(group)]
    body = json.dumps({group: sorted(points) for group, points in groups.items()}, indent=1, sort_keys=True)
    return {FROZEN_ENTRY_POINTS: (body + "\n").encode()}
