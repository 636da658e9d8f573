"""The Channel + Subscription wiring: derived from the role table, and the embedded bus that runs it."""

from __future__ import annotations

import pytest
from cloudevents.http import CloudEvent

from core.bot import Bot
from core.channel_bus import ChannelBus
from core.channels import ChannelSubscription, channel_of, channel_subscriptions, channels_of, entry_channel
from core.conversation import ask
from core.events import EXT_HOPS, ChatMessage, ChatUser, chat_message_event
from core.settings import Settings


def test_pipeline_chains_parse_commands_responses_as_the_seed_does() -> None:
    assert channels_of("pipeline") == ("botless-chat-messages", "botless-commands", "botless-responses")
    assert entry_channel("pipeline") == "botless-chat-messages"
    assert channel_subscriptions("pipeline") == (
        ChannelSubscription("botless-chat-messages", "parse", "botless-commands"),
        ChannelSubscription("botless-commands", "command", "botless-responses"),
        # parse answers an unknown command itself: its reply travels on the commands Channel.
        ChannelSubscription("botless-commands", "respond", None),
        ChannelSubscription("botless-responses", "respond", None),
    )


def test_mono_takes_its_own_channel_and_replies_to_it() -> None:
    # Its bus face answers nothing but a rate-limited reply it hands on, which comes back to it.
    assert channel_subscriptions("mono") == (
        ChannelSubscription("botless-chat-messages", "mono", "botless-chat-messages"),)


def test_a_role_that_emits_nothing_has_no_channel() -> None:
    with pytest.raises(ValueError, match="respond role emits nothing"):
        channel_of("respond")


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
async def test_an_unknown_command_is_answered_under_channels(topology: str) -> None:
    bot = Bot(Settings(load_entry_points=False))
    bus = bot.broker(topology, "channels")
    assert isinstance(bus, ChannelBus)
    [reply] = await ask(bot, bus, "/uptme")
    assert reply.text == "I don't know `/uptme`. Did you mean `uptime`?"
    assert bus.dead_letters == []


def _message() -> CloudEvent:
    message = ChatMessage(platform="console", text="hi", user=ChatUser(id="u"), channel="c", message_id="m1")
    return chat_message_event(message, source="test")


async def test_every_subscription_of_a_channel_gets_the_event_and_replies_go_to_its_reply_channel() -> None:
    seen: list[tuple[str, str]] = []

    def subscriber_of(role: str):  # type: ignore[no-untyped-def]
        async def subscriber(event: CloudEvent) -> list[CloudEvent]:
            seen.append((role, event["type"]))
            if role == "parse":
                return [CloudEvent({"type": "botless.bot.command.echo", "source": "test"}, {})]
            return []
        return subscriber

    bus = ChannelBus("pipeline", subscriber_of)
    await bus.publish(_message())
    # No filters on a Channel: command and respond both get parse's reply on the commands Channel.
    assert sorted(seen) == [("command", "botless.bot.command.echo"), ("parse", "botless.chat.message"),
                            ("respond", "botless.bot.command.echo")]


async def test_each_reply_adds_a_hop_and_an_event_at_the_limit_is_dead_lettered() -> None:
    hops: list[str] = []

    def subscriber_of(role: str):  # type: ignore[no-untyped-def]
        async def subscriber(event: CloudEvent) -> list[CloudEvent]:
            hops.append(f"{role}:{event.get_attributes().get(EXT_HOPS, '0')}")
            return [_message()] if role in ("parse", "command") else []
        return subscriber

    bus = ChannelBus("pipeline", subscriber_of, max_hops=3)
    await bus.publish(_message())
    assert sorted(hops) == ["command:1", "parse:0", "respond:1", "respond:2"]
    looping = _message()
    looping[EXT_HOPS] = "3"
    await bus.publish(looping)
    assert [d.reason for d in bus.dead_letters] == ["hop limit 3 reached (a loop?)"]


async def test_a_failing_subscriber_is_retried_then_dead_lettered() -> None:
    calls: list[str] = []

    def subscriber_of(role: str):  # type: ignore[no-untyped-def]
        async def subscriber(event: CloudEvent) -> list[CloudEvent]:
            calls.append(role)
            raise RuntimeError("down")
        return subscriber

    bus = ChannelBus("mono", subscriber_of, retries=2, retry_delay=0.0)
    await bus.publish(_message())
    assert calls == ["mono"] * 3
    assert [d.trigger for d in bus.dead_letters] == ["mono"]


def test_unknown_wiring_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="broker, channels"):
        Bot(Settings(load_entry_points=False)).broker("mono", "mesh")
