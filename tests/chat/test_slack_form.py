"""Slash-command forms: the hot path's reader gives what urllib's parse_qs gives, or a 400."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.chat.outcomes import Rejection
from core.chat.slack_events import parse_form


def _stdlib(body: bytes) -> dict[str, str] | None:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items()}


def _ours(body: bytes) -> dict[str, str] | None:
    try:
        return parse_form(body)
    except Rejection as refused:
        assert refused.status == 400
        return None


# Bodies made of the characters that matter to a form reader: separators, escapes, UTF-8.
_FORM_CHARACTERS = st.sampled_from(list("ab=&+%2F0 ;é\u2603") + ["%20", "%zz", "%e2%98%83", "%ff", "=="])


@given(st.lists(_FORM_CHARACTERS, max_size=30).map(lambda parts: "".join(parts).encode()))
def test_any_body_reads_as_parse_qs_reads_it(body: bytes) -> None:
    assert _ours(body) == _stdlib(body)


@given(st.binary(max_size=40))
def test_any_bytes_read_as_parse_qs_reads_them(body: bytes) -> None:
    assert _ours(body) == _stdlib(body)


@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=8))
def test_an_encoded_form_reads_back_its_first_values(pairs: list[tuple[str, str]]) -> None:
    body = urlencode(pairs).encode()
    expected: dict[str, str] = {}
    for name, value in pairs:
        expected.setdefault(name, value)
    assert _ours(body) == _stdlib(body) == expected


@pytest.mark.parametrize("body", [b"command_marker", b"a=marker&&b=2", b"marker&", b"\xff=marker"])
def test_what_is_no_form_is_a_400_that_does_not_quote_it(body: bytes) -> None:
    with pytest.raises(Rejection) as refused:
        parse_form(body)
    assert refused.value.status == 400 and "urlencoded form" in refused.value.reason
    assert "marker" not in refused.value.reason
