"""One role table drives the roles: Roles.handle's dispatch, Roles.mono's one loop and its guard, the triggers."""

import pytest

from core import events as ev
from core.bot import Bot
from core.bus import role_triggers
from core.role_table import BUS_ROLES, ROLE_TABLE, roles_of
from core.settings import Settings


def make_bot() -> Bot:
    return Bot(Settings(load_entry_points=False))


def chat(text: str):
    message = ev.ChatMessage(platform="console", text=text, user=ev.ChatUser(id="u"), message_id=f"m-{text}")
    return message, ev.chat_message_event(message, source="/test")


async def test_mono_is_one_loop_over_the_bus_roles_and_its_guard_sees_each_step():
    bot = make_bot()
    steps: list[tuple[str, str]] = []

    async def guard(role, event, step):
        steps.append((role, event["type"]))
        return await step(event)

    message, event = chat("/echo hi")
    assert await bot.roles.mono(event, guard) == []
    assert steps == [("parse", ev.CHAT_MESSAGE), ("command", "botless.bot.command.echo"),
                     ("respond", ev.BOT_RESPONSE)]
    assert [reply.text for reply in bot.outbox.take(message.message_id)] == ["hi"]


async def test_a_guard_that_returns_nothing_ends_the_chain_there():
    bot = make_bot()

    async def hold_commands(role, event, step):
        return [] if role == "command" else await step(event)

    message, event = chat("/echo hi")
    await bot.roles.mono(event, hold_commands)
    assert bot.outbox.take(message.message_id) == []


async def test_handle_knows_the_bus_roles_of_the_table_only():
    bot = make_bot()
    with pytest.raises(ValueError, match="choose parse, command or respond"):
        await bot.roles.handle("receive", chat("/echo")[1])
    assert tuple(bot.roles._handlers) == BUS_ROLES


@pytest.mark.parametrize("topology", ["mono", "pipeline"])
def test_the_broker_has_one_trigger_per_type_each_role_of_the_topology_consumes(topology):
    triggers = make_bot().broker(topology).triggers
    if topology == "mono":
        # Alone on one machine mono defers nothing: only what enters the flow reaches it.
        assert [(t.name, dict(t.exact), dict(t.prefix)) for t in triggers] == [
            ("mono", {"type": ev.CHAT_MESSAGE}, {})]
        return
    expected = [(name, kind) for name in roles_of(topology) for kind in ROLE_TABLE[name].consumes]
    assert [(t.name, t.exact.get("type") or t.prefix.get("type")) for t in triggers] == expected
    assert [t.name for t in triggers if t.prefix] == ["command"]


def test_role_triggers_ask_for_one_subscriber_per_trigger():
    asked: list[str] = []

    def subscriber_of(role):
        asked.append(role)

        async def deliver(event):
            return []
        return deliver

    role_triggers(["parse", "respond"], subscriber_of)
    assert asked == ["parse", "respond"]
