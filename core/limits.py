"""The one home of the size limits applied to untrusted input (the body limit is a setting).

Each chat platform caps the text a person can send; Botless refuses longer text where
it enters (an ignored 200 on a signed webhook, 400 anywhere else), so no role ever
parses more than a platform itself would send. The JSON limits bound what one request
can make the decoders do: nesting depth, the digits of a number.
"""

from __future__ import annotations

# Slack: a message's `text` is truncated by Slack past 40,000 characters (chat.postMessage docs).
SLACK_TEXT_LIMIT = 40_000
# Telegram: a text message holds 1-4096 characters (Bot API, sendMessage `text`).
TELEGRAM_TEXT_LIMIT = 4_096
# Discord: a message's content holds 2,000 characters; a string option at most 6,000.
DISCORD_CONTENT_LIMIT = 2_000
DISCORD_OPTION_LIMIT = 6_000
# Everything else (/api/chat, the CloudEvents ingress, every bus event's `text` and
# `raw_args`): the largest platform limit, so any platform's message passes.
TEXT_LIMIT = SLACK_TEXT_LIMIT
# A command's name: Botless names have at most 63 characters (Slack's and Discord's at most 32).
COMMAND_NAME_LIMIT = 63
# A command's arguments: no more than its text has characters (an argument is at least one).
ARGS_LIMIT = TEXT_LIMIT
# JSON nesting: Slack's block kit, the deepest payload any platform sends, nests about
# a dozen levels; 64 leaves room and stays far below Python's recursion limit.
JSON_DEPTH_LIMIT = 64
# Digits in one JSON number: ids and timestamps have at most 20; Python refuses to
# convert more than 4,300 and says so in a message that names an interpreter setting.
JSON_NUMBER_DIGITS_LIMIT = 100
