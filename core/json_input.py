"""Decode untrusted JSON with bounds: every request body and bus message goes through here.

Python's decoder recurses once per nesting level, so a 2 KB document of brackets ends
in a RecursionError wherever the stack happens to be deep (often later, in a copy or an
encoder, as a 500). `decode_json` therefore measures the nesting first, with a linear
scan that never recurses, and refuses more than JSON_DEPTH_LIMIT levels; it also
refuses what would go wrong further on: bytes that are not UTF-8, NaN and Infinity
(not JSON, and unreadable by the other end of a bus), numbers of absurd length, and
unpaired surrogates (which no encoder can write out again). A RecursionError is still
caught, as a second line. `check_json_value` applies the same bounds, iteratively, to
a value some runtime already decoded (a Lambda payload, an Event Grid delivery).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from core.limits import JSON_DEPTH_LIMIT, JSON_NUMBER_DIGITS_LIMIT


class JsonInputError(ValueError):
    """Untrusted JSON that Botless does not decode; the message says what is wrong (answer 400)."""


_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# A \u escape of a surrogate: only then can a decoded string hold an unpaired one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_json(body: bytes | str, what: str = "body") -> Any:
    """The JSON value in `body`, else JsonInputError naming `what` and the reason."""
    if isinstance(body, (bytes, bytearray)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonInputError(f"{what} is not UTF-8 (JSON must be sent as UTF-8)") from None
    else:
        text = body
    if nesting_exceeds(text, JSON_DEPTH_LIMIT):
        raise JsonInputError(f"{what} is JSON nested more than {JSON_DEPTH_LIMIT} levels deep")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_int, parse_float=_float)
    except JsonInputError as error:
        raise JsonInputError(f"{what} is not valid JSON: {error}") from None
    except RecursionError:
        raise JsonInputError(f"{what} is JSON nested more than {JSON_DEPTH_LIMIT} levels deep") from None
    except ValueError as error:
        raise JsonInputError(f"{what} is not valid JSON: {error}") from None
    if _SURROGATE_ESCAPE.search(text):
        check_json_value(value, what)
    return value


def nesting_exceeds(text: str, limit: int) -> bool:
    """True when the JSON `text` nests arrays and objects more than `limit` levels deep.

    Linear and without recursion: strings are cut out first (escaped backslashes and
    quotes removed, then every other stretch between quotes is outside a string), the
    brackets that remain are reduced by removing innermost pairs, one level per pass,
    at most `limit` passes. Brackets that do not balance are left to the decoder.
    """
    if text.count("[") + text.count("{") <= limit:
        return False  # too few brackets to nest that deep, even counting those in strings
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(unescaped.split('"')[::2])
    brackets = _NOT_BRACKET.sub("", outside).replace("{", "[").replace("}", "]")
    too_deep = "[" * (limit + 1)
    for _ in range(limit):
        if not brackets:
            return False
        if too_deep in brackets:
            return True  # the common attack, found without the passes
        shorter = brackets.replace("[]", "")
        if len(shorter) == len(brackets):
            return False  # unbalanced: not JSON, which the decoder says more precisely
        brackets = shorter
    return bool(brackets)


def check_json_value(value: Any, what: str = "payload") -> None:
    """JsonInputError unless an already decoded value is within the bounds `decode_json` applies."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, str):
            if _SURROGATE.search(current):
                raise JsonInputError(f"{what} holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)")
            continue
        if isinstance(current, float) and not math.isfinite(current):
            raise JsonInputError(f"{what} holds {current!r}, which is not a JSON number")
        if isinstance(current, dict):
            children: Any = [*current.keys(), *current.values()]
        elif isinstance(current, (list, tuple)):
            children = current
        else:
            continue
        if depth >= JSON_DEPTH_LIMIT:
            raise JsonInputError(f"{what} is nested more than {JSON_DEPTH_LIMIT} levels deep")
        pending.extend((child, depth + 1) for child in children)


def _refuse_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a JSON number")


def _int(digits: str) -> int:
    if len(digits) > JSON_NUMBER_DIGITS_LIMIT:
        raise JsonInputError(f"a number of {len(digits)} digits (at most {JSON_NUMBER_DIGITS_LIMIT})")
    return int(digits)


def _float(digits: str) -> float:
    if len(digits) > JSON_NUMBER_DIGITS_LIMIT:
        raise JsonInputError(f"a number of {len(digits)} characters (at most {JSON_NUMBER_DIGITS_LIMIT})")
    value = float(digits)
    if not math.isfinite(value):
        raise JsonInputError(f"{digits} is out of range for a JSON number")
    return value
