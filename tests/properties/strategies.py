"""Hostile input: arbitrary JSON, 1000-deep documents, mutated real payloads, huge strings.

Everything here yields JSON *text* (or bytes), never Python objects only, because the
hostile cases are documents `json.dumps` cannot even write: 1000 levels deep.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

# What a real platform sends at most, and more: Slack cuts text at 40,000 characters; the
# issue's stall was one 900,000-character word. Big strings are built, not drawn
# character by character, so they cost Hypothesis nothing.
HUGE_LENGTHS = (4_097, 40_001, 900_000)
DEPTHS = (100, 970, 1000, 5000, 100_000)

class Body(bytes):
    """Bytes that Hypothesis reports shortened: a falsifying 900 KB body is not a report."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        shown = bytes(self[:160])
        printer.text(f"Body({shown!r}{' + ...' if len(self) > 160 else ''}, {len(self)} bytes)")


class Text(str):
    """A string that Hypothesis reports shortened (a 900,000-character word is no report)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        shown = str(self[:80])
        printer.text(f"Text({shown!r}{' + ...' if len(self) > 80 else ''}, {len(self)} characters)")


scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def nested(depth: int, opener: str = "[", leaf: str = "0") -> str:
    """JSON text nested `depth` deep: `[[[0]]]` or `{"a":{"a":0}}`."""
    if opener == "[":
        return "[" * depth + leaf + "]" * depth
    return '{"a":' * depth + leaf + "}" * depth


deep_json = st.builds(nested, st.sampled_from(DEPTHS) | st.integers(1, 1200), st.sampled_from("[{"))
# Quotes and backslashes are one piece each for the splitter (linear work, but per piece),
# so they stay at 4,097; the 900,000-character cases are tests/properties/test_parser.py's own.
huge_strings = (st.builds(lambda length, char: Text(char * length), st.sampled_from(HUGE_LENGTHS),
                          st.sampled_from(["x", " ", "é", "a "]))
                | st.builds(lambda length, char: Text(char * length), st.sampled_from([1_000, 4_097]),
                            st.sampled_from(["'", '"', "\\"])))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


_PLACEHOLDER = "\u0000botless-placeholder\u0000"


@st.composite
def mutated(draw: st.DrawFn, sample: Any, *, max_mutations: int = 3, deep: bool = True) -> str:
    """`sample` (a parsed real payload) as JSON text, with up to 3 fields changed.

    A change replaces a field (or the whole document) by another JSON value, a huge
    string or (with `deep`) a deeply nested document, or drops it.
    """
    payload = copy.deepcopy(sample)
    splices: list[str] = []
    for _ in range(draw(st.integers(0, max_mutations))):
        path = draw(st.sampled_from(list(_paths(payload))))
        kind = draw(st.sampled_from(["replace", "drop", "huge", "deep"] if deep else ["replace", "drop", "huge"]))
        if kind == "drop":
            if path:  # the document itself cannot be dropped: it stays as it is
                del _at(payload, path[:-1])[path[-1]]
            continue
        if kind == "replace":
            new: Any = draw(json_values)
        elif kind == "huge":
            new = draw(huge_strings)
        else:
            splices.append(draw(deep_json))
            new = f"{_PLACEHOLDER}{len(splices) - 1}"
        if not path:
            payload = new
        else:
            _at(payload, path[:-1])[path[-1]] = new
    text = json.dumps(payload)
    for index, splice in enumerate(splices):
        text = text.replace(json.dumps(f"{_PLACEHOLDER}{index}"), splice)
    return text


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def documents(sample: Any) -> st.SearchStrategy[bytes]:
    """Bodies for a decoder whose real input is `sample`: mostly mutations, some anything."""
    return st.one_of(
        mutated(sample).map(lambda text: Body(text.encode())),
        mutated(sample).map(lambda text: Body(text.encode())),
        json_values.map(lambda value: Body(json.dumps(value).encode())),
        deep_json.map(lambda text: Body(text.encode())),
        st.binary(max_size=64),
    )


def mutated_objects(sample: Any) -> st.SearchStrategy[Any]:
    """Parsed mutations of `sample`, for decoders whose input is already JSON-decoded."""
    return mutated(sample, deep=False).map(json.loads)
