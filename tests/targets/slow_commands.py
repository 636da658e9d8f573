"""A command that declares itself slow, for the deferral tests (BOTLESS_COMMANDS=tests.targets.slow_commands)."""

from core.registry import Command, CommandSet

commands = CommandSet()


@commands.command(help="Build a report (declared slow: always deferred in mono)", slow=True)
def report(command: Command) -> str:
    return f"report for {command.raw_args or 'everyone'} is ready"
