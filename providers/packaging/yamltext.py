"""A small YAML writer for Kubernetes objects, so `botless manifests` needs no YAML library.

Every string is written double-quoted (JSON escaping is valid YAML), so `"0"` stays a
string and a value never turns into a bool or a number on the way to the cluster.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")


def dump_all(documents: list[dict[str, Any]]) -> str:
    """Documents separated by `---`, as `kubectl apply -f -` reads them."""
    return "".join("---\n" + "\n".join(_lines(document, 0)) + "\n" for document in documents)


def _key(name: str) -> str:
    return name if _PLAIN_KEY.match(name) else json.dumps(name)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(str(value))


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{_key(key)}:")
                lines.extend(_lines(item, indent + 2))
            else:
                lines.append(f"{pad}{_key(key)}: {_empty_or_scalar(item)}")
        return lines
    for item in value:
        if isinstance(item, (dict, list)) and item:
            nested = _lines(item, indent + 2)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        else:
            lines.append(f"{pad}- {_empty_or_scalar(item)}")
    return lines


def _empty_or_scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)
