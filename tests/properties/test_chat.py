"""Every platform's signed receive path, fed hostile bodies that are properly signed.

Signing each generated body is what makes these reach past the signature check: the
decoders behind it (JSON, the payload's shape, the claim, the event, the parse role) are
what is under test. Property: tests/properties/harness.py `check_receive`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from tests.chat.helpers import event_bytes, event_json
from tests.properties.harness import (
    Run,
    check_receive,
    discord_request,
    slack_request,
    telegram_request,
)
from tests.properties.profiles import fast_big, full_big
from tests.properties.strategies import Body, documents, huge_strings, json_values

SLACK_SAMPLES = [event_json("slack", name) for name in (
    "event_callback_message.json", "event_callback_app_mention.json", "event_callback_message_changed.json")]
DISCORD_SAMPLES = [event_json("discord", name) for name in (
    "interaction_application_command_guild.json", "interaction_application_command_dm.json",
    "interaction_ping.json")]
TELEGRAM_SAMPLES = [event_json("telegram", name) for name in (
    "update_message_entities.json", "update_message_private_start.json", "update_edited_message.json")]
SLASH_FORM = dict(parse_qsl(event_bytes("slack", "slash_command.txt").decode(), keep_blank_values=True))


def bodies(samples: list[dict[str, object]]) -> st.SearchStrategy[bytes]:
    return st.sampled_from(samples).flatmap(documents)


@st.composite
def slash_forms(draw: st.DrawFn) -> bytes:
    """The sample slash command with fields dropped or replaced by any text, or any bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64))
    form = dict(SLASH_FORM)
    for name in draw(st.lists(st.sampled_from([*SLASH_FORM, "extra"]), max_size=3)):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            form.pop(name, None)
        elif choice == 1:
            form[name] = draw(huge_strings)
        elif choice == 2:
            form[name] = json.dumps(draw(json_values))
        else:
            form[name] = draw(st.text(max_size=20))
    return Body(urlencode(form).encode())


def slack_event(run: Run, body: bytes) -> None:
    check_receive(run, "slack", slack_request(body))


def slack_slash(run: Run, body: bytes) -> None:
    check_receive(run, "slack", slack_request(body, "application/x-www-form-urlencoded"))


def discord(run: Run, body: bytes) -> None:
    check_receive(run, "discord", discord_request(body))


def telegram(run: Run, body: bytes) -> None:
    check_receive(run, "telegram", telegram_request(body))


test_fast_slack_events = fast_big(given(body=bodies(SLACK_SAMPLES))(slack_event))
test_full_slack_events = full_big(given(body=bodies(SLACK_SAMPLES))(slack_event))
test_fast_slack_slash_commands = fast_big(given(body=slash_forms())(slack_slash))
test_full_slack_slash_commands = full_big(given(body=slash_forms())(slack_slash))
test_fast_discord_interactions = fast_big(given(body=bodies(DISCORD_SAMPLES))(discord))
test_full_discord_interactions = full_big(given(body=bodies(DISCORD_SAMPLES))(discord))
test_fast_telegram_updates = fast_big(given(body=bodies(TELEGRAM_SAMPLES))(telegram))
test_full_telegram_updates = full_big(given(body=bodies(TELEGRAM_SAMPLES))(telegram))
