"""Roles and topologies: failing commands, async handlers, ignoring foreign types, mono == pipeline."""

import asyncio
import logging

import pytest
from cloudevents.http import CloudEvent

from core import events as ev
from core.registry import CommandSet, Reply
from core.testing import BotTester

extra = CommandSet()


@extra.command(help="Always fails")
def broken(command):
    raise RuntimeError("secret-free failure")


@extra.command(help="An async command")
async def later(command):
    await asyncio.sleep(0)
    return Reply(f"later: {command.raw_args}", ephemeral=True)


@extra.command(help="Says nothing")
def silent(command):
    return None


SCRIPT = ["/define crd", "/flip hello", "/uptme", "hello", "/hash md5 x", "/later a b", "/silent",
          "/broken", "@botless echo hi", "(╯°□°)╯︵ up"]


def test_mono_and_pipeline_give_the_same_replies_under_both_wirings():
    mono = BotTester(extra, topology="mono")
    others = [BotTester(extra, topology=topology, wiring=wiring)
              for topology, wiring in [("pipeline", "broker"), ("mono", "channels"), ("pipeline", "channels")]]
    for text in SCRIPT:
        expected = mono.ask(text)
        for other in others:
            assert other.ask(text) == expected, (text, other.broker)


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_a_failing_command_becomes_an_error_reply_and_the_bot_keeps_running(topology, caplog):
    bot = BotTester(extra, topology=topology)
    with caplog.at_level(logging.ERROR, logger="botless"):
        [reply] = bot.ask("/broken")
    assert reply.startswith("Sorry, `/broken` failed (RuntimeError)")
    assert "Traceback" in caplog.text and "secret-free failure" in caplog.text
    assert bot.ask("/echo still here") == ["still here"]
    assert bot.broker.dead_letters == []


async def test_roles_ignore_types_they_do_not_handle():
    bot = BotTester().bot
    foreign = CloudEvent({"type": "com.example.unrelated", "source": "/x"}, {})
    for role in ("parse", "command", "respond"):
        assert await bot.roles.handle(role, foreign) == []


async def test_parse_emits_one_command_event_per_command_with_the_canonical_name():
    bot = BotTester().bot
    message = ev.ChatMessage(platform="console", text="/say hi", user=ev.ChatUser("u"), message_id="m")
    [command] = await bot.roles.handle("parse", ev.chat_message_event(message, source="/t"))
    assert command["type"] == "botless.bot.command.echo"
    assert ev.CommandInvocation.from_data(command.data).args == ("hi",)


async def test_a_response_for_a_platform_without_responder_is_dead_lettered_not_lost():
    tester = BotTester()
    response = ev.BotResponse(text="hi", platform="nowhere")
    event = ev.new_event(ev.BOT_RESPONSE, response)
    tester.broker.retry_delay = 0
    broker = tester.bot.broker("pipeline")
    broker.retry_delay = 0
    await broker.publish(event)
    [letter] = broker.dead_letters
    assert "no responder for platform 'nowhere'" in letter.reason


def test_log_is_one_json_line_per_event_and_role(caplog):
    import json

    bot = BotTester(topology="pipeline")
    with caplog.at_level(logging.INFO, logger="botless"):
        bot.ask("/uptime")
    lines = [json.loads(record.getMessage()) for record in caplog.records]
    assert [(line["type"].rsplit(".", 1)[-1], line["role"]) for line in lines] == [
        ("message", "parse"), ("uptime", "command"), ("response", "respond")]
    assert all(isinstance(line["ms"], float) and line["id"] for line in lines)
