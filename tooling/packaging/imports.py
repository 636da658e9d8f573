"""Which of the project's own files an entrypoint needs: its static import closure.

Starting from a target's entry files, follow every `import` (lazy ones inside
functions too, but not those under `if TYPE_CHECKING:`, which never run) that names a
project package, so a Lambda zip carries providers/aws but never providers/gcp, and
nothing of functions/local.
`core/` is always taken whole: it is the bot, and commands are found in it by name (but
core/testing.py and the chat sources of core/sources/ only when something imports them).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_PACKAGES = ("core", "providers", "functions")
SOURCES_PACKAGE = "core/sources/"
_SKIP_PARTS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


@dataclass
class ImportClosure:
    """Project files reached from the entry files, and the third-party top-level imports seen."""

    files: set[str] = field(default_factory=set)
    third_party: set[str] = field(default_factory=set)


def module_file(root: Path, module: str) -> str | None:
    """The path (relative to `root`) of project module `module`, or None when it is not one."""
    parts = module.split(".")
    if parts[0] not in PROJECT_PACKAGES:
        return None
    base = root.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return (base / "__init__.py").relative_to(root).as_posix()
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py").relative_to(root).as_posix()
    return None


def closure(root: Path, entries: list[str]) -> ImportClosure:
    """Follow the imports of `entries` (paths relative to `root`) through the project."""
    result = ImportClosure()
    # core/testing.py is the users' test helper, and core/sources/ the connection-mode chat
    # sources (they run locally and on Knative only): each goes in only when something imports it.
    pending = list(entries) + [name for name in package_files(root, "core") if not _on_demand(name)]
    while pending:
        relative = pending.pop()
        if relative in result.files:
            continue
        result.files.add(relative)
        if relative.startswith(SOURCES_PACKAGE):
            # The registry imports each source's module by name: reached at all, taken whole.
            pending.extend(package_files(root, SOURCES_PACKAGE.rstrip("/")))
        if not relative.endswith(".py"):
            continue
        pending.extend(_parents(root, relative))
        for module in _imported_modules(root, relative):
            found = module_file(root, module)
            if found is not None:
                pending.append(found)
                pending.extend(_data_files(root, found))
            elif module.split(".")[0] not in PROJECT_PACKAGES:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top != "__future__":
                    result.third_party.add(top)
    return result


def _on_demand(name: str) -> bool:
    return name == "core/testing.py" or name.startswith(SOURCES_PACKAGE)


def package_files(root: Path, package: str) -> list[str]:
    """Every file of a project package, caches left out."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in (root / package).rglob("*")
        if path.is_file() and not _SKIP_PARTS & set(path.parts) and path.suffix not in _SKIP_SUFFIXES
    )


def _imported_modules(root: Path, relative: str) -> set[str]:
    tree = ast.parse((root / relative).read_bytes(), filename=relative)
    package = relative[: -len(".py")].replace("/", ".")
    if not relative.endswith("__init__.py"):
        package = package.rpartition(".")[0]
    else:
        package = package[: -len(".__init__")]
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from providers import aws` imports the submodule providers.aws.
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name for name in found if name}


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` but those only a type checker reads (the body of `if TYPE_CHECKING:`)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _parents(root: Path, relative: str) -> list[str]:
    parts = relative.split("/")[:-1]
    parents = []
    for depth in range(1, len(parts) + 1):
        init = "/".join(parts[:depth]) + "/__init__.py"
        if (root / init).is_file():
            parents.append(init)
    return parents


def _data_files(root: Path, relative: str) -> list[str]:
    """Non-Python files beside a module (a JSON table, a TOML price list) travel with it."""
    folder = (root / relative).parent
    return sorted(
        path.relative_to(root).as_posix()
        for path in folder.iterdir()
        if path.is_file() and path.suffix not in {".py", *_SKIP_SUFFIXES}
        and path.name not in ("Dockerfile", "requirements.txt")
    )
