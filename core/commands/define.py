"""define: look up a cloud-native term in the glossary (kept as data in glossary.json)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache

from core.registry import Command, CommandSet, Reply

commands = CommandSet()


@dataclass(frozen=True)
class GlossaryEntry:
    """One term: its name, what it stands for (if an abbreviation) and its definition."""

    term: str
    stands_for: str
    definition: str
    aliases: tuple[str, ...]

    def describe(self) -> str:
        if self.stands_for:
            return f"*{self.term}* stands for {self.stands_for}: {self.definition}"
        return f"*{self.term}*: {self.definition}"


def _key(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


@lru_cache(maxsize=1)
def glossary() -> dict[str, GlossaryEntry]:
    """Every glossary entry by each lower-cased name it can be looked up under."""
    # A plain file beside this module (every target unpacks its artifact): importlib.resources
    # would cost milliseconds of each cold start to import.
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "glossary.json"), encoding="utf-8") as file:
        raw = json.load(file)
    index: dict[str, GlossaryEntry] = {}
    for item in raw["terms"]:
        entry = GlossaryEntry(item["term"], item.get("stands_for", ""), item["definition"],
                              tuple(item.get("aliases", ())))
        for name in (entry.term, entry.stands_for, *entry.aliases):
            if name:
                index.setdefault(_key(name), entry)
    return index


def lookup(term: str) -> tuple[GlossaryEntry | None, list[str]]:
    """The entry for `term` (exact, then fuzzy), and other close terms to suggest."""
    import difflib  # for fuzzy lookups only: kept off every cold start

    index = glossary()
    key = _key(term)
    if key in index:
        return index[key], []
    close = difflib.get_close_matches(key, index.keys(), n=3, cutoff=0.75)
    if close:
        return index[close[0]], []
    loose = difflib.get_close_matches(key, index.keys(), n=3, cutoff=0.5)
    return None, sorted({index[name].term for name in loose})


@commands.command(help="Define a cloud-native term", usage="/define <term>", aliases=("whatis",))
def define(command: Command) -> str | Reply:
    if not command.raw_args:
        return Reply("What should I define? Try `/define crd`.", ephemeral=True, is_error=True)
    entry, suggestions = lookup(command.raw_args)
    if entry is not None:
        return entry.describe()
    hint = f" Did you mean {', '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
    return Reply(f"I don't know `{command.raw_args}` yet.{hint}", is_error=True)
