"""The bounded JSON decoder and the linear argument splitter: what they refuse, and that their work is bounded.

No test here times anything: the work is counted (traced Python lines), so a
superlinear splitter or a recursive depth check fails on any machine.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.json_input import JsonInputError, check_json_value, decode_json, nesting_exceeds
from core.limits import JSON_DEPTH_LIMIT
from core.parser import split_args


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_the_depth_limit_is_exact():
    assert decode_json(nested(JSON_DEPTH_LIMIT)) is not None
    with pytest.raises(JsonInputError, match="nested more than"):
        decode_json(nested(JSON_DEPTH_LIMIT + 1))


@pytest.mark.parametrize("text", [
    nested(970),
    '{"a":' * 970 + "1" + "}" * 970,
    "[{" * 500 + "}]" * 500,
    "[[]" * 1000 + "]" * 1000,  # no long run of brackets: found by the passes
    "[" * 200_000,  # unbalanced: the decoder's RecursionError is caught as well
])
def test_deep_documents_are_refused_without_recursing(text):
    with pytest.raises(JsonInputError, match="nested more than"):
        decode_json(text)


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"text": "[" * 500 + "{" * 500, "quoted": '\\"[[[[', "tail": "\\"})
    assert not nesting_exceeds(text, JSON_DEPTH_LIMIT)
    assert decode_json(text)["text"].startswith("[[[")


def test_an_escaped_quote_does_not_hide_deep_brackets():
    text = '{"a": "x\\"", "b": ' + nested(JSON_DEPTH_LIMIT + 1) + "}"
    assert nesting_exceeds(text, JSON_DEPTH_LIMIT)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ a'),
                           lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=3), children, max_size=3),
                           max_leaves=60)


def _scan_measures_the_depth(value: Any) -> None:
    text = json.dumps(value)
    depth = _depth(value)
    assert nesting_exceeds(text, depth) is False
    if depth > 0:
        assert nesting_exceeds(text, depth - 1) is True


# 60 examples in the inner loop (`-m "not slow"`); the full suite runs 300 too.
test_the_scan_measures_what_the_decoder_builds = settings(max_examples=60, deadline=None)(
    given(json_values)(_scan_measures_the_depth))
test_the_scan_measures_what_the_decoder_builds_in_full = pytest.mark.slow(settings(max_examples=300, deadline=None)(
    given(json_values)(_scan_measures_the_depth)))


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@pytest.mark.parametrize("body, phrase", [
    (b"\xff\xfe", "UTF-8"),
    (b"NaN", "NaN"),
    (b"[-Infinity]", "Infinity"),
    (b"1e400", "out of range"),
    (b"1" * 101, "digits"),
    (b'"\\udc00"', "surrogate"),
    (b'{"a": "\\ud800x"}', "surrogate"),
    (b"{", "not valid JSON"),
])
def test_what_no_other_end_could_read_is_refused(body, phrase):
    with pytest.raises(JsonInputError, match=phrase):
        decode_json(body, "body")


def test_valid_json_decodes_as_usual():
    assert decode_json(b'{"a": [1, 2.5, "\\ud83d\\ude00", null, true]}') == {"a": [1, 2.5, "😀", None, True]}


def test_values_decoded_elsewhere_get_the_same_bounds():
    def levels(count: int) -> Any:
        value: Any = []
        for _ in range(count - 1):
            value = [value]
        return value

    check_json_value({"data": levels(JSON_DEPTH_LIMIT - 1)})  # JSON_DEPTH_LIMIT levels with the object
    with pytest.raises(JsonInputError, match="nested more than"):
        check_json_value({"data": levels(JSON_DEPTH_LIMIT)})
    with pytest.raises(JsonInputError, match="not a JSON number"):
        check_json_value({"x": float("nan")})
    with pytest.raises(JsonInputError, match="surrogate"):
        check_json_value({"\ud800": 1})


# The splitter ---------------------------------------------------------------------------------

short_lines = st.text(alphabet=" \t\n\r\x0b\xa0ab'\"\\é", max_size=14)


def _splits_as_shlex(raw: str) -> None:
    try:
        expected = tuple(shlex.split(raw))
    except ValueError:
        expected = tuple(raw.split())  # the documented fallback on unbalanced quotes
    assert split_args(raw) == expected


# 300 examples in the inner loop (`-m "not slow"`); the full suite runs 3000 too.
test_the_splitter_finds_the_words_shlex_finds = settings(max_examples=300, deadline=None)(
    given(short_lines)(_splits_as_shlex))
test_the_splitter_finds_the_words_shlex_finds_in_full = pytest.mark.slow(settings(max_examples=3000, deadline=None)(
    given(short_lines)(_splits_as_shlex)))


def traced_lines(work: Callable[[], object]) -> int:
    """How many Python lines `work` runs (its own work, independent of the machine's speed)."""
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def test_one_huge_word_is_split_in_a_constant_number_of_steps():
    # shlex took ~9 s on this one, growing the word a character at a time.
    word = "x" * 900_000
    assert split_args(word) == (word,)
    assert traced_lines(lambda: split_args(word)) == traced_lines(lambda: split_args("x"))


@pytest.mark.parametrize("unit", ["a'b'", 'a"b\\"c"', "a\\ ", "a b ", "'unclosed"])
def test_the_splitter_is_linear_in_its_input(unit):
    small, large = traced_lines(lambda: split_args(unit * 100)), traced_lines(lambda: split_args(unit * 1000))
    assert large <= 11 * small
