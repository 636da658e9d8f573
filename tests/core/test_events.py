"""Events: typed data, validation with clear errors, extensions kept on derived events."""

import pytest
from cloudevents.http import CloudEvent

from core import events as ev
from core.wire import event_from_http, event_from_mapping, event_to_http


def _message(**overrides):
    fields = dict(platform="slack", text="/uptime", user=ev.ChatUser("U1", "ann"), channel="C1",
                  thread="1.2", message_id="m1")
    fields.update(overrides)
    return ev.ChatMessage(**fields)


def test_chat_message_round_trips_through_http_in_both_modes():
    event = ev.chat_message_event(_message(), source="/botless/slack", reply_to="https://hooks/x")
    for mode in ("binary", "structured"):
        headers, body = event_to_http(event, mode)
        back = event_from_http(headers, body)
        assert back["type"] == ev.CHAT_MESSAGE
        assert back[ev.EXT_PLATFORM] == "slack"
        assert back[ev.EXT_REPLY_TO] == "https://hooks/x"
        assert ev.ChatMessage.from_data(back.data) == _message()


def test_derived_events_keep_every_extension_of_their_parent():
    parent = ev.chat_message_event(_message(), source="/s", reply_to="route-1")
    parent["customext"] = "kept"
    invocation = ev.CommandInvocation(name="uptime", raw_args="", args=(), text="/uptime",
                                      platform="slack", user=ev.ChatUser("U1"))
    child = ev.derive_event(parent, ev.command_type("uptime"), invocation)
    assert child["id"] != parent["id"]
    for name in (*ev.ROUTING_EXTENSIONS, "customext"):
        assert child[name] == parent[name]
    assert child["type"] == "botless.bot.command.uptime"


@pytest.mark.parametrize(
    "attributes, data, reason",
    [
        ({"type": ev.CHAT_MESSAGE}, {"text": "hi", "user": {"id": "u"}}, "data.platform is required"),
        ({"type": ev.CHAT_MESSAGE}, {"platform": "x", "text": 3, "user": {"id": "u"}}, "data.text must be a string"),
        ({"type": ev.CHAT_MESSAGE}, ["not", "an", "object"], "data must be a JSON object"),
        ({"type": ev.BOT_RESPONSE}, {"platform": "x"}, "data.text is required"),
        ({"type": "botless.bot.command.uptime"}, {"name": "echo", "platform": "x", "args": []}, "does not match"),
        ({"type": "botless.bot.command.uptime"}, {"name": "uptime", "platform": "x", "args": "a"}, "list of strings"),
    ],
)
def test_malformed_events_are_rejected_with_a_clear_reason(attributes, data, reason):
    event = CloudEvent({"source": "/t", **attributes}, data)
    with pytest.raises(ev.EventValidationError, match=reason):
        ev.validate_event(event)


def test_http_garbage_is_rejected_with_a_reason():
    with pytest.raises(ev.EventValidationError, match="not a CloudEvent"):
        event_from_http({"content-type": "application/json"}, b"{nope")
    with pytest.raises(ev.EventValidationError, match="not a CloudEvent"):
        event_from_http({"ce-specversion": "1.0"}, b"{}")


def test_event_from_mapping_validates():
    with pytest.raises(ev.EventValidationError):
        event_from_mapping([1, 2])
    event = event_from_mapping({"specversion": "1.0", "id": "1", "source": "/s", "type": "other.type", "data": {}})
    assert event["type"] == "other.type"


def test_bad_command_and_extension_names_are_refused():
    with pytest.raises(ev.EventValidationError, match="command name"):
        ev.command_type("Not Valid")
    with pytest.raises(ev.EventValidationError, match="extension name"):
        ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(text="x", platform="p"), extensions={"Bad-Name": "v"})


def test_unknown_types_pass_validation_untouched():
    ev.validate_event(CloudEvent({"type": "com.example.other", "source": "/x"}, {"any": "thing"}))
    assert not ev.is_botless_type("com.example.other")
    assert ev.is_botless_type("botless.bot.command.x")


def test_deriving_twice_from_one_event_gives_the_same_id_and_another_type_or_parent_another():
    parent = ev.chat_message_event(_message(), source="/s")
    invocation = ev.CommandInvocation(name="uptime", raw_args="", args=(), text="/uptime",
                                      platform="slack", user=ev.ChatUser("U1"))
    first = ev.derive_event(parent, ev.command_type("uptime"), invocation)
    again = ev.derive_event(parent, ev.command_type("uptime"), invocation)
    assert first["id"] == again["id"] != parent["id"]
    reply = ev.BotResponse(text="t", platform="slack")
    assert ev.derive_event(parent, ev.BOT_RESPONSE, reply)["id"] != first["id"]
    other = ev.chat_message_event(_message(), source="/s")
    assert ev.derive_event(other, ev.command_type("uptime"), invocation)["id"] != first["id"]


def test_an_event_without_data_round_trips_in_binary_mode():
    from cloudevents.http import CloudEvent

    from core.wire import event_from_http, event_to_http

    # The SDK alone writes the body b"None", which event_from_http (rightly) refuses.
    headers, body = event_to_http(CloudEvent({"type": "x.y", "source": "/s", "id": "1"}, None), "binary")
    assert body == b""
    assert event_from_http(headers, body).data is None
