"""An example of your own commands, loaded with BOTLESS_COMMANDS=team_commands.

Run it:  PYTHONPATH=examples BOTLESS_COMMANDS=team_commands botless chat -m "/standup"
"""

from core.registry import Command, CommandSet, Reply

commands = CommandSet()


@commands.command(help="Post the stand-up questions", usage="/standup [team]", aliases=("su",))
def standup(command: Command) -> str:
    team = command.raw_args or "team"
    return f"Stand-up for {team}: what did you do, what will you do, what blocks you?"


@commands.command(help="Roll a die with N sides (6 by default)", usage="/roll [sides]")
def roll(command: Command) -> str | Reply:
    import random

    sides = command.args[0] if command.args else "6"
    if not sides.isdigit() or int(sides) < 2:
        return Reply("Give a number of sides of at least 2, e.g. `/roll 20`.", is_error=True)
    return f"🎲 {random.randint(1, int(sides))}"
