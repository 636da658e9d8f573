"""Built-in commands, through the whole bot (all four roles) as a user sees them."""

import hashlib

import pytest

from core.commands.builtin import describe_duration
from core.commands.define import glossary
from core.commands.flip import upside_down
from core.testing import BotTester


@pytest.fixture(scope="module", params=[("mono", "broker"), ("pipeline", "broker"),
                                        ("mono", "channels"), ("pipeline", "channels")], ids="-".join)
def bot(request):
    """Every test here on both topologies and both wirings: a user sees the same replies."""
    topology, wiring = request.param
    return BotTester(topology=topology, wiring=wiring)


def test_define_crd(bot):
    [reply] = bot.ask("/define crd")
    assert "Custom Resource Definition" in reply


def test_define_is_fuzzy_and_case_insensitive(bot):
    assert "Knative" in bot.ask("/define KNATIV")[0]
    assert "Dead letter queue" in bot.ask("/define dlq")[0]
    assert "don't know" in bot.ask("/define quantum flux")[0]
    assert "What should I define" in bot.ask("/define")[0]


def test_glossary_has_at_least_40_terms():
    assert len({entry.term for entry in glossary().values()}) >= 40


def test_flip_turns_text_upside_down(bot):
    assert bot.ask("/flip hello") == ["(╯°□°)╯︵ ollǝɥ"]
    assert bot.ask("/flip") == ["(╯°□°)╯︵ ┻━┻"]
    assert bot.ask("(╯°□°)╯︵ hello") == ["(╯°□°)╯︵ ollǝɥ"]
    assert upside_down("ab") == "qɐ"


def test_unknown_command_suggests_the_closest(bot):
    assert bot.ask("/uptme") == ["I don't know `/uptme`. Did you mean `uptime`?"]
    assert "Try `/help`" in bot.ask("/xyzzyq")[0]


def test_help_lists_every_command_one_line_each(bot):
    lines = bot.ask("/help")[0].splitlines()
    assert [line.split(":")[0] for line in lines] == ["/define", "/echo", "/flip", "/hash", "/help", "/uptime"]
    assert "usage: /hash" in bot.ask("/help hash")[0]


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_hash(bot, algorithm):
    expected = hashlib.new(algorithm, b"hello world").hexdigest()
    assert bot.ask(f"/hash {algorithm} hello world") == [f"{algorithm}: {expected}"]


def test_hash_defaults_to_sha256_and_needs_text(bot):
    assert bot.ask("/hash abc") == ["sha256: " + hashlib.sha256(b"abc").hexdigest()]
    assert "Nothing to hash" in bot.ask("/hash sha1")[0]


def test_echo(bot):
    assert bot.ask('/echo "a  b" c') == ['"a  b" c']
    assert "Nothing to echo" in bot.ask("/echo")[0]


def test_uptime_in_words(bot):
    assert bot.ask("/uptime")[0].startswith("I have been up for ")
    assert describe_duration(4 * 60 + 5) == "4 minutes"
    assert describe_duration(128 * 86400 + 7) == "128 days"
    assert describe_duration(3600) == "1 hour"
    assert describe_duration(1) == "1 second"
    assert describe_duration(0.2) == "0 seconds"


def test_text_that_is_no_command_gets_no_reply(bot):
    assert bot.ask("good morning") == []
