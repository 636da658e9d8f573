"""The target-neutral mono chain: what runs now, what is deferred, and that deferral cannot loop."""

import asyncio

import pytest

from core import events as ev
from core.bot import Bot
from core.commands import BUILTIN_COMMAND_SETS
from core.registry import CommandSet
from core.settings import Settings
from providers.mono import MonoChain
from providers.runtime import ConfigurationError

extra = CommandSet()
calls: list[str] = []


@extra.command(help="Declared slow", slow=True)
def report(command):
    calls.append("report")
    return "report ready"


@extra.command(help="Waits for something that never comes (until resumed)")
async def stall(command):
    calls.append("stall")
    if not command.args:
        await asyncio.Event().wait()
    return "stalled " + command.raw_args


class RecordingDeferrer:
    def __init__(self) -> None:
        self.events: list = []

    async def defer(self, event) -> None:
        self.events.append(event)


def make_chain(budget: float = 60.0) -> tuple[MonoChain, RecordingDeferrer]:
    calls.clear()
    bot = Bot(Settings(load_entry_points=False), command_sets=[*BUILTIN_COMMAND_SETS, extra])
    deferrer = RecordingDeferrer()
    return MonoChain(bot, deferrer, target="test", budget_seconds=budget), deferrer


def message(text: str) -> tuple[ev.ChatMessage, object]:
    chat = ev.ChatMessage(platform="console", text=text, user=ev.ChatUser(id="u"), channel="c",
                          message_id=f"m-{text}")
    return chat, ev.chat_message_event(chat, source="/test")


def replies(chain: MonoChain, chat: ev.ChatMessage) -> list[str]:
    return [reply.text for reply in chain.bot.outbox.take(chat.message_id)]


async def test_a_fast_command_runs_inline_and_nothing_is_deferred():
    chain, deferrer = make_chain()
    chat, event = message("/echo hi")
    await chain.run(event)
    assert replies(chain, chat) == ["hi"]
    assert deferrer.events == []


async def test_a_declared_slow_command_is_deferred_before_it_starts_and_resumed_whole():
    chain, deferrer = make_chain()
    chat, event = message("/report")
    await chain.run(event)
    assert calls == [] and replies(chain, chat) == []
    [deferred] = deferrer.events
    assert deferred["type"] == "botless.bot.command.report"
    assert deferred[ev.EXT_CHANNEL] == "c"  # routing extensions travel with the deferred event
    await chain.resume(deferred)
    assert calls == ["report"] and replies(chain, chat) == ["report ready"]
    assert len(deferrer.events) == 1  # resume never defers again


async def test_a_command_past_the_budget_is_cancelled_deferred_and_then_deferred_up_front():
    chain, deferrer = make_chain(budget=0)
    chat, event = message("/stall")
    await chain.run(event)
    assert replies(chain, chat) == []
    assert [e["type"] for e in deferrer.events] == ["botless.bot.command.stall"]
    assert chain.is_slow(deferrer.events[0])
    started = len(calls)
    chat2, event2 = message("/stall again")
    await chain.run(event2)
    assert len(calls) == started  # learned: not started inline the second time
    await chain.resume(deferrer.events[1])
    assert replies(chain, chat2) == ["stalled again"]


async def test_the_defer_door_hands_the_chat_message_over_as_it_is():
    chain, deferrer = make_chain()
    _, event = message("/echo later")
    await chain.defer(event)
    assert deferrer.events == [event]


async def test_unknown_commands_and_plain_text_never_reach_the_deferrer():
    chain, deferrer = make_chain(budget=0)
    chat, event = message("/uptme")
    await chain.run(event)
    [reply] = replies(chain, chat)
    assert "Did you mean" in reply
    await chain.run(message("just chatting")[1])
    assert deferrer.events == []


def test_mono_without_a_deferrer_fails_at_start_up():
    bot = Bot(Settings(load_entry_points=False))
    with pytest.raises(ConfigurationError, match="needs a way to defer"):
        MonoChain(bot, None, target="nowhere")


async def test_run_guards_every_command_its_chain_meets_even_one_handed_over_directly():
    # run is Roles.mono's one loop with the budget as its guard, whatever the event's type.
    chain, deferrer = make_chain()
    chat, _ = message("/report")
    invocation = ev.CommandInvocation(name="report", raw_args="", args=(), text="/report", platform="console",
                                      user=chat.user, channel="c", message_id=chat.message_id)
    command = ev.new_event(ev.command_type("report"), invocation)
    await chain.run(command)
    assert calls == [] and [e["id"] for e in deferrer.events] == [command["id"]]
