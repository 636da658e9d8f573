"""The source tree being packaged: where it is, and the requirements its extras declare."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import core

PROJECT = "botless"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[([^\]]*)\])?")


class SourceTreeError(RuntimeError):
    """The source tree cannot be packaged; the message says what is missing."""


def source_root(start: Path | None = None) -> Path:
    """The checkout holding pyproject.toml and core/ (the one this code runs from by default)."""
    root = (start or Path(core.__file__).resolve().parent.parent).resolve()
    if not (root / "pyproject.toml").is_file() or not (root / "core").is_dir():
        raise SourceTreeError(
            f"{root} is not a Botless source tree (no pyproject.toml and core/); "
            "run `botless package` from a checkout or pass --source DIR"
        )
    return root


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a requirement line (`PyNaCl>=1.5` -> `pynacl`)."""
    match = _NAME.match(requirement)
    if not match:
        raise SourceTreeError(f"cannot read the requirement {requirement!r} in pyproject.toml")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def read_requirements_file(path: Path) -> list[str]:
    """The requirement lines of a requirements.txt (comments and blanks left out)."""
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def merge_requirements(base: list[str], overrides: list[str], exclude: frozenset[str] = frozenset()) -> list[str]:
    """`base` with each line replaced by the `overrides` line of the same name, then new names appended."""
    chosen = {requirement_name(line): line for line in overrides}
    merged = [chosen.pop(requirement_name(line), line) for line in base]
    merged.extend(line for name, line in chosen.items() if name not in exclude)
    return [line for line in merged if requirement_name(line) not in exclude]


def requirements(root: Path, extras: tuple[str, ...], exclude: frozenset[str] = frozenset()) -> list[str]:
    """The base dependencies plus those of `extras`, self-references expanded, in pyproject order.

    `exclude` names distributions the target already has (boto3 on Lambda) or does not
    use (uvicorn where no server runs); they are left out.
    """
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    found: list[str] = []
    seen_extras: set[str] = set()

    def add(lines: list[str]) -> None:
        for line in lines:
            match = _NAME.match(line)
            name = requirement_name(line)
            if name == PROJECT and match and match.group(3):
                expand([extra.strip() for extra in match.group(3).split(",")])
            elif name not in exclude and line not in found:
                found.append(line)

    def expand(names: list[str]) -> None:
        for extra in names:
            if extra in seen_extras:
                continue
            if extra not in optional:
                raise SourceTreeError(f"pyproject.toml has no extra {extra!r} (known: {', '.join(sorted(optional))})")
            seen_extras.add(extra)
            add(optional[extra])

    add(list(project.get("dependencies", [])))
    expand(list(extras))
    return found
