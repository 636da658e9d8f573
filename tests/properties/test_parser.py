"""The parser and the argument splitter (core/parser.py): total, correct, bounded work.

Bounded work is counted (budget.py): a constant plus a few Python lines per word, so the
issue's 900,000-character word, which took shlex 9 s and blocked the event loop, fails here at
once instead of stalling the suite.
"""

from __future__ import annotations

import shlex

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.parser import TABLE_FLIP_PREFIXES, ParserConfig, parse_command, parse_named_command, split_args
from tests.properties.budget import within_budget
from tests.properties.profiles import fast, fast_big, full, full_big
from tests.properties.strategies import Text, huge_strings

CONFIG = ParserConfig(prefixes=("/", "!"), bot_names=("botless",), bot_user_id="U0BOT", usernames=("BotlessBot",))
_STARTS = ["/", "!", "@botless ", "<@U0BOT> ", "<@U0BOT|botless>: ", "<@!123> ", *TABLE_FLIP_PREFIXES, ""]
# Shell-ish text: every character shlex treats specially, and some it does not.
_SHELLISH = st.text(alphabet=st.sampled_from(list(" \t\n'\"\\#;|&*aZ0é-_=")), max_size=40)
texts = st.one_of(
    st.builds(lambda start, rest: start + rest, st.sampled_from(_STARTS), st.text(max_size=40) | _SHELLISH),
    st.builds(lambda start, name, rest: f"{start}{name} {rest}", st.sampled_from(_STARTS),
              st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,8}(@[A-Za-z]{1,10})?", fullmatch=True), _SHELLISH),
    st.builds(lambda start, huge: Text(start + "echo " + huge), st.sampled_from(_STARTS), huge_strings),
)


def budget_for(text: str) -> int:
    """Python lines allowed: a constant, plus a few per word or quote (never per plain character)."""
    pieces = len(text.split()) + text.count("'") + text.count('"') + text.count("\\")
    return 2_000 + 10 * pieces


def parsed_correctly(text: str) -> None:
    parsed = within_budget(budget_for(text), parse_command, text, CONFIG)
    if parsed is None:
        return
    assert parsed.name == parsed.name.lower() and parsed.name
    assert parsed.raw_args == parsed.raw_args.strip()
    assert parsed.args == split_args(parsed.raw_args)


def split_like_the_docstring(raw: str) -> None:
    """Shell-style when shlex can split it, else on whitespace (split_args' contract)."""
    try:
        expected = tuple(shlex.split(raw))
    except ValueError:
        expected = tuple(raw.split())
    assert within_budget(budget_for(raw), split_args, raw) == expected


def named(name: str, raw: str) -> None:
    parsed = within_budget(budget_for(raw), parse_named_command, name, raw)
    assert parsed.name == name.lstrip("/").lower()


test_fast_parse_command = example(Text("/echo " + "x" * 900_000))(fast_big(given(text=texts)(parsed_correctly)))
test_full_parse_command = full_big(given(text=texts)(parsed_correctly))
test_fast_split_args = fast(given(raw=_SHELLISH)(split_like_the_docstring))
test_full_split_args = full(given(raw=_SHELLISH)(split_like_the_docstring))
test_fast_parse_named_command = fast_big(given(name=st.text(max_size=10), raw=_SHELLISH | huge_strings)(named))
test_full_parse_named_command = full_big(given(name=st.text(max_size=10), raw=_SHELLISH | huge_strings)(named))


@pytest.mark.parametrize("raw", ["x" * 900_000, "'" + "x" * 900_000, '"' * 90_000, "\\" * 90_000,
                                 "a " * 45_000], ids=["word", "open-quote", "quotes", "backslashes", "words"])
def test_a_900000_character_argument_is_split_within_budget(raw: str) -> None:
    """The issue's stall: one huge argument costs a few Python lines, not one per character."""
    args = within_budget(budget_for(raw), split_args, raw)
    assert "".join(args).replace(" ", "") in raw.replace(" ", "")
