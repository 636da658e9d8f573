"""A typed event checked once, at its door: ValidEvent, validated, data_of, and who trusts them."""

import pytest
from cloudevents.http import CloudEvent

from core import events as ev
from core import valid_event
from core.bot import Bot
from core.limits import TEXT_LIMIT
from core.settings import Settings
from core.wire import event_from_http, event_from_mapping, event_to_http, event_to_json
from providers.gcp.delivery import delivered_event
from providers.gcp.message import message_from_event
from providers.runtime import run_role


def chat(text: str = "/echo hi") -> CloudEvent:
    message = ev.ChatMessage(platform="api", text=text, user=ev.ChatUser(id="u"), message_id="m-1")
    return ev.chat_message_event(message, source="/test")


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The ids of the events core/valid_event.py and core/events.py check, in order."""
    checked: list[str] = []
    check, made = valid_event._checked_data, ev.ValidEvent.made

    def counting(event):
        checked.append(event["id"])
        return check(event)

    def counting_made(attributes, data, payload):
        checked.append(attributes["id"])  # new_event checked its data (and wrote the attributes) just before
        return made(attributes, data, payload)

    monkeypatch.setattr(valid_event, "_checked_data", counting)
    monkeypatch.setattr(ev.ValidEvent, "made", staticmethod(counting_made))
    return checked


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_the_http_door_returns_a_valid_event_with_its_typed_data(mode):
    event = event_from_http(*event_to_http(chat(), mode))
    assert isinstance(event, ev.ValidEvent)
    assert ev.data_of(event, ev.ChatMessage).text == "/echo hi"
    assert ev.validated(event) is event  # trusted as it is: not checked again


def test_the_json_door_returns_a_valid_event():
    import json

    event = event_from_mapping(json.loads(event_to_json(chat())))
    assert isinstance(event, ev.ValidEvent) and event.payload == ev.data_of(chat(), ev.ChatMessage)


def test_building_a_valid_event_checks_it():
    with pytest.raises(ev.EventValidationError, match="data.platform is required"):
        ev.ValidEvent({"type": ev.CHAT_MESSAGE, "source": "/x"}, {"text": "hi"})
    assert ev.ValidEvent({"type": "com.example.other", "source": "/x"}, {"a": 1}).payload is None


def test_a_refused_change_of_an_attribute_leaves_the_event_as_it_was():
    event = ev.validated(chat())
    with pytest.raises(ev.EventValidationError, match="extension name"):
        event["Bad_Name"] = "x"
    with pytest.raises(ev.EventValidationError, match="data.name"):
        event["type"] = "botless.bot.command.echo"
    assert event["type"] == ev.CHAT_MESSAGE and "Bad_Name" not in event.get_attributes()
    event[ev.EXT_HOPS] = "1"  # what the broker does on each hop
    assert event[ev.EXT_HOPS] == "1"


def test_data_of_refuses_data_of_another_kind():
    with pytest.raises(ev.EventValidationError, match="no BotResponse"):
        ev.data_of(ev.validated(chat()), ev.BotResponse)


async def test_a_pub_sub_delivery_is_checked_once_from_its_bytes_to_the_role(checks):
    bot = Bot(Settings(load_entry_points=False))
    sent = chat("/echo once")
    assert checks == [sent["id"]]  # born checked, where the adapter made it
    checks.clear()
    event = delivered_event(message_from_event(sent))
    [command] = await run_role(bot, "parse", event, None)
    assert command["type"] == "botless.bot.command.echo"
    # The decoder's check of the bytes, then the command's own check at its birth:
    # delivered_event and run_role trusted the one, the command is not checked again.
    assert checks == [sent["id"], command["id"]]
    assert isinstance(command, ev.ValidEvent)
    assert ev.validated(command) is command


def test_an_event_a_role_makes_is_born_checked():
    too_long = ev.ChatMessage(platform="api", text="x" * (TEXT_LIMIT + 1), user=ev.ChatUser(id="u"))
    with pytest.raises(ev.EventValidationError, match="data.text"):
        ev.chat_message_event(too_long, source="/test")
    reply = ev.derive_event(chat(), ev.BOT_RESPONSE, ev.BotResponse(platform="api", text="hi"))
    assert isinstance(reply, ev.ValidEvent) and ev.data_of(reply, ev.BotResponse).text == "hi"


async def test_an_event_no_door_checked_is_checked_by_run_role():
    bot = Bot(Settings(load_entry_points=False))
    bad = CloudEvent({"type": ev.CHAT_MESSAGE, "source": "/x"}, {"text": "/echo"})
    with pytest.raises(ev.EventValidationError, match="data.platform is required"):
        await run_role(bot, "parse", bad, None)


def test_what_new_event_writes_passes_the_doors_attribute_check():
    # new_event skips validate_attributes for the attributes it wrote itself: they must pass it.
    message = chat()
    reply = ev.derive_event(message, ev.BOT_RESPONSE, ev.BotResponse(platform="api", text="hi"))
    for event in (message, reply):
        ev.validate_attributes(event.get_attributes())
        assert event["specversion"] == "1.0" and event["datacontenttype"] == "application/json"
    with pytest.raises(ev.EventValidationError, match="'source' must be a non-empty string"):
        ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(platform="api", text="hi"), source="")
    with pytest.raises(ev.EventValidationError, match="extension name"):
        ev.new_event(ev.BOT_RESPONSE, ev.BotResponse(platform="api", text="hi"), extensions={"Bad": "x"})
