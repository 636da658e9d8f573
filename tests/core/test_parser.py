"""The parser: prefixes, mentions, Telegram's form, the table flip, argument splitting."""

import pytest

from core.parser import ParsedCommand, ParserConfig, parse_command, parse_named_command, split_args


@pytest.mark.parametrize(
    "text, name, raw, args",
    [
        ("/uptime", "uptime", "", ()),
        ("  /UPTIME  ", "uptime", "", ()),
        ("/define crd", "define", "crd", ("crd",)),
        ('/echo "hello world" again', "echo", '"hello world" again', ("hello world", "again")),
        ("/echo it's broken", "echo", "it's broken", ("it's", "broken")),
        ("/uptime@SomeBot", "uptime", "", ()),
        ("/define@SomeBot crd", "define", "crd", ("crd",)),
        ("@botless uptime", "uptime", "", ()),
        ("@Botless: /define crd", "define", "crd", ("crd",)),
        ("(╯°□°)╯︵ hello", "flip", "hello", ("hello",)),
        ("(╯°□°）╯︵ ┻━┻", "flip", "┻━┻", ("┻━┻",)),
        ("/hash-it x", "hash-it", "x", ("x",)),
    ],
)
def test_commands_are_found(text, name, raw, args):
    parsed = parse_command(text)
    assert parsed is not None
    assert (parsed.name, parsed.raw_args, parsed.args) == (name, raw, args)


@pytest.mark.parametrize(
    "text",
    ["hello", "", "   ", "/", "/ uptime", "//uptime", "/path/to/file is broken", "email me @ noon",
     "@someoneelse uptime", "uptime", "!uptime"],
)
def test_text_that_is_no_command_gives_nothing(text):
    assert parse_command(text) is None


def test_more_prefixes_are_configurable():
    config = ParserConfig(prefixes=("/", "!"))
    assert parse_command("!uptime", config).name == "uptime"
    assert parse_command("/uptime", config).name == "uptime"
    assert parse_command(".uptime", config) is None


def test_longest_prefix_wins():
    config = ParserConfig(prefixes=("!", "!!"))
    assert parse_command("!!echo hi", config).name == "echo"


def test_slack_mention_needs_the_bot_user_id():
    text = "<@U123ABC> uptime"
    assert parse_command(text) is None
    config = ParserConfig(bot_user_id="U123ABC")
    assert parse_command(text, config).name == "uptime"
    assert parse_command("<@U123ABC|botless> define crd", config).raw_args == "crd"
    assert parse_command("<@U999> uptime", config) is None


def test_discord_mention_with_the_bot_user_id():
    config = ParserConfig(bot_user_id="80351110224678912")
    assert parse_command("<@!80351110224678912> uptime", config).name == "uptime"


def test_telegram_command_for_another_bot_is_ignored_when_our_username_is_known():
    config = ParserConfig(usernames=("BotlessBot",))
    assert parse_command("/uptime@botlessbot", config).name == "uptime"
    assert parse_command("/uptime@OtherBot", config) is None


def test_unbalanced_quotes_fall_back_to_whitespace_split():
    assert split_args('say "hello there') == ("say", '"hello', "there")
    assert parse_command('/echo "unbalanced').args == ('"unbalanced',)


def test_named_command_from_a_platform():
    parsed = parse_named_command("/Define", "  crd  ")
    assert (parsed.name, parsed.raw_args, parsed.args) == ("define", "crd", ("crd",))


def test_a_bare_mention_asks_for_help():
    config = ParserConfig(bot_user_id="U123ABC")
    for text in ("@botless", "@botless  ", "<@U123ABC>", "<@U123ABC> "):
        assert parse_command(text, config) == ParsedCommand("help", "", ())
    assert parse_command("@someone", config) is None
