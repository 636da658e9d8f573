"""Slack payloads to chat messages: Events API callbacks and slash-command forms (pure).

Which messages are the bot's to answer: plain messages from people. Anything a bot
posted (`bot_id`, including Botless's own replies), edits, deletions and other
subtypes are ignored, so the bot can never talk to itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from core.chat.outcomes import Ignored, Rejection
from core.events import ChatMessage, ChatUser
from core.limits import COMMAND_NAME_LIMIT, SLACK_TEXT_LIMIT
from core.settings import Settings

PLATFORM = "slack"

# Subtypes that are still a person writing: a thread reply also sent to the channel,
# a message with a file, a /me message. Every other subtype is an edit, a deletion,
# a join notice or a bot.
_PEOPLE_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})
_HANDLED_EVENTS = ("message", "app_mention")
_LEADING_MENTION = re.compile(r"^\s*<@(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>[\s:,]*", re.IGNORECASE)
_RESPONSE_URL_SCHEMES = ("https://", "http://")


def parse_form(body: bytes) -> dict[str, str]:
    """A urlencoded body as single values (the first of a repeated name), else Rejection(400).

    What `parse_qs(..., keep_blank_values=True, strict_parsing=True)` reads, the first value
    of each name kept (tests/chat/test_slack_form.py holds the two equal), without its
    lists and per-field checks: every slash command is read here.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    form: dict[str, str] = {}
    for pair in text.split("&") if text else ():
        name, equals, value = pair.partition("=")
        if not equals:
            text = None
            break
        if "%" in pair or "+" in pair:
            name, value = unquote_plus(name), unquote_plus(value)
        form.setdefault(name, value)
    if text is None:
        # The reason never quotes the body (it is logged).
        raise Rejection(400, "body is not a valid urlencoded form (UTF-8 `name=value` pairs joined by &)")
    return form


def bot_user_ids(payload: Mapping[str, Any], settings: Settings) -> set[str]:
    """The bot's Slack user ids: configured, or named in the payload's `authorizations`."""
    ids = {settings.parser.bot_user_id.upper()} if settings.parser.bot_user_id else set()
    authorizations = payload.get("authorizations")
    if authorizations is None:
        return ids
    if not isinstance(authorizations, list):
        raise Rejection(400, f"Slack `authorizations` must be a list, got {type(authorizations).__name__}")
    for authorization in authorizations:
        if not isinstance(authorization, Mapping):
            raise Rejection(400, "each of Slack's `authorizations` must be an object")
        user_id = optional_str(authorization, "user_id", "authorization")
        if authorization.get("is_bot") is True and user_id:
            ids.add(user_id.upper())
    return ids


def message_from_callback(payload: Mapping[str, Any], settings: Settings) -> ChatMessage:
    """The chat message in an `event_callback`; Ignored for events that are not for the bot.

    Every field read is type-checked: one that is absent is what Slack sends for events
    that are no message for the bot (ignored, 200), one of the wrong type is no payload
    Slack sends (400 with the field's name).
    """
    event = payload.get("event")
    if not isinstance(event, Mapping):
        raise Rejection(400, "event_callback has no `event` object")
    kind = optional_str(event, "type", "event")
    if kind not in _HANDLED_EVENTS:
        raise Ignored(f"Slack event type {kind!r} is not handled")
    bot_profile = event.get("bot_profile")
    if bot_profile is not None and not isinstance(bot_profile, Mapping):
        raise Rejection(400, "Slack event `bot_profile` must be an object")
    if optional_str(event, "bot_id", "event") or bot_profile:
        raise Ignored("a message posted by a bot (maybe this one)")
    subtype = optional_str(event, "subtype", "event")
    if subtype and subtype not in _PEOPLE_SUBTYPES:
        raise Ignored(f"message subtype {subtype!r} is not a new message from a person")
    user = optional_str(event, "user", "event")
    if not user:
        raise Ignored("a message without a user")
    if settings.parser.bot_user_id and user.upper() == settings.parser.bot_user_id.upper():
        raise Ignored("the bot's own message")
    text = optional_str(event, "text", "event")
    if not text or not text.strip():
        raise Ignored("a message without text")
    if len(text) > SLACK_TEXT_LIMIT:
        # Slack itself cuts a message at this length: only a forgery is longer.
        raise Ignored(f"a message of {len(text)} characters (Slack sends at most {SLACK_TEXT_LIMIT})")
    channel, ts = optional_str(event, "channel", "event"), optional_str(event, "ts", "event")
    if not channel or not ts:
        raise Rejection(400, "Slack message event needs string `channel` and `ts`")
    return ChatMessage(
        platform=PLATFORM,
        text=address_bot(text, kind, bot_user_ids(payload, settings), settings),
        user=ChatUser(id=user),
        channel=channel,
        thread=optional_str(event, "thread_ts", "event") or "",
        message_id=ts,
    )


def optional_str(fields: Mapping[str, Any], name: str, where: str) -> str | None:
    """`fields[name]` when it is a string, None when absent or null, else Rejection(400)."""
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise Rejection(400, f"Slack {where} `{name}` must be a string, got {type(value).__name__}")


def address_bot(text: str, kind: str, bot_ids: set[str], settings: Settings) -> str:
    """`text` with a leading `<@BOT>` mention in a form the parser recognises.

    The parser knows the mention `<@ID>` only when BOTLESS_BOT_USER_ID is set; Slack
    names the bot's id in each payload, so a mention of it becomes `@<bot name>`.
    """
    found = _LEADING_MENTION.match(text)
    if not found:
        return text
    mentioned = found.group("id").upper()
    # An app_mention always mentions the bot; when its id is unknown, trust the first mention.
    is_bot = mentioned in bot_ids or (kind == "app_mention" and not bot_ids)
    if not is_bot or mentioned == settings.parser.bot_user_id.upper():
        return text
    rest = text[found.end():]
    if settings.parser.bot_names:
        return f"@{settings.parser.bot_names[0]} {rest}"
    if any(rest.startswith(prefix) for prefix in settings.parser.prefixes):
        return rest
    return settings.parser.prefixes[0] + rest


def message_from_slash_command(form: Mapping[str, str]) -> tuple[ChatMessage, str]:
    """The chat message of a slash command, and its `response_url` (may be empty)."""
    name = form.get("command", "").strip().lstrip("/")
    if not name:
        raise Rejection(400, "slash command form has an empty `command`")
    if len(name) > COMMAND_NAME_LIMIT:
        raise Ignored(f"a slash command name of {len(name)} characters (Slack allows 32)")
    response_url = form.get("response_url", "")
    if response_url and not response_url.startswith(_RESPONSE_URL_SCHEMES):
        raise Rejection(400, "slash command `response_url` is not an http(s) URL")
    text = form.get("text", "")
    if len(text) > SLACK_TEXT_LIMIT:
        raise Ignored(f"a slash command with {len(text)} characters of text (Slack sends at most {SLACK_TEXT_LIMIT})")
    message = ChatMessage(
        platform=PLATFORM,
        text=text,
        user=ChatUser(id=form.get("user_id", ""), name=form.get("user_name", "")),
        channel=form.get("channel_id", ""),
        message_id=form.get("trigger_id", ""),
        command=name.lower(),
    )
    return message, response_url
