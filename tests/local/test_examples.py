"""The README's example of testing your own commands works as written."""

import sys
from pathlib import Path

from core.testing import BotTester

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

from team_commands import commands  # noqa: E402


def test_standup_example_from_the_readme():
    assert BotTester(commands).ask("/su web") == [
        "Stand-up for web: what did you do, what will you do, what blocks you?"]


def test_roll_validates_its_argument():
    assert BotTester(commands).ask("/roll 1") == ["Give a number of sides of at least 2, e.g. `/roll 20`."]
    assert BotTester(commands).ask("/roll 20")[0].startswith("🎲 ")
