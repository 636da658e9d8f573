"""Commands for the deferral count: one declared slow, so mono defers it to a second invocation."""

from core.registry import CommandSet

commands = CommandSet()


@commands.command(help="Answers in a later invocation", slow=True)
def later(command):
    return "later"
