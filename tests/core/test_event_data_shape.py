"""Each data class writes its JSON itself: the fields dataclasses.asdict would give, in its order, no alias."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given
from hypothesis import strategies as st

from core.event_data import BotResponse, ChatMessage, ChatUser, CommandInvocation, to_data

text = st.text(max_size=40)
users = st.builds(ChatUser, id=text, name=text)
messages = st.builds(ChatMessage, platform=text, text=text, user=users, channel=text, thread=text,
                     message_id=text, command=text)
invocations = st.builds(CommandInvocation, name=text, raw_args=text, args=st.tuples(text, text), text=text,
                        platform=text, user=users, channel=text, thread=text, message_id=text)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | text,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                           max_leaves=8)
responses = st.builds(BotResponse, text=text, platform=text, channel=text, thread=text, message_id=text,
                      command=text, is_error=st.booleans(), ephemeral=st.booleans(),
                      extra=st.dictionaries(text, json_values, max_size=3))


@given(value=st.one_of(messages, invocations, responses))
def test_the_json_is_what_asdict_gives_field_for_field_in_order(value) -> None:
    assert json.dumps(to_data(value)) == json.dumps(dataclasses.asdict(value))


@given(value=responses)
def test_extra_is_copied_so_the_event_never_aliases_the_callers_object(value) -> None:
    data = to_data(value)
    data["extra"]["added"] = 1
    assert "added" not in value.extra


def test_every_field_of_every_class_is_written() -> None:
    # A field added to a class but not to its to_data fails here, whatever hypothesis drew.
    for kind, sample in ((ChatMessage, ChatMessage("p", "t", ChatUser("u"))),
                         (CommandInvocation, CommandInvocation("n", "", (), "", "p", ChatUser("u"))),
                         (BotResponse, BotResponse("t", "p"))):
        assert list(to_data(sample)) == [f.name for f in dataclasses.fields(kind)]
