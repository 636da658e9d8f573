"""The registry: built and validated once, lookups, suggestions, loading user commands."""

import sys
import textwrap

import pytest

from core.commands import BUILTIN_COMMAND_SETS
from core.loader import load_entry_points, load_modules
from core.registry import CommandDefinitionError, CommandSet, Registry


def _set_with(name, aliases=(), help="does things", handler=None):
    commands = CommandSet()
    commands.command(name, help=help, aliases=aliases)(handler or (lambda command: "ok"))
    return commands


def test_builtins_are_all_registered():
    registry = Registry(BUILTIN_COMMAND_SETS)
    assert {spec.name for spec in registry.specs} == {"help", "uptime", "define", "flip", "echo", "hash"}
    assert registry.find("UPTIME").name == "uptime"
    assert registry.find("say").name == "echo"


def test_duplicate_names_are_rejected_at_build_time_naming_both():
    with pytest.raises(CommandDefinitionError, match="'uptime' .* already taken"):
        Registry([*BUILTIN_COMMAND_SETS, _set_with("uptime")])
    with pytest.raises(CommandDefinitionError, match="'say' .* already taken"):
        Registry([*BUILTIN_COMMAND_SETS, _set_with("speak", aliases=("say",))])


def test_bad_handler_signatures_and_names_and_missing_help_are_rejected():
    with pytest.raises(CommandDefinitionError, match="exactly one argument"):
        Registry([_set_with("two", handler=lambda a, b: "x")])
    with pytest.raises(CommandDefinitionError, match="lower-case"):
        Registry([_set_with("has space")])
    with pytest.raises(CommandDefinitionError, match="no help text"):
        Registry([_set_with("quiet", help="")])


def test_docstring_is_the_default_help():
    commands = CommandSet()

    @commands.command()
    def greet(command):
        """Say hello to someone.

        More detail that help does not show."""

    assert Registry([commands]).find("greet").help == "Say hello to someone."


def test_suggestions_name_the_closest_commands():
    registry = Registry(BUILTIN_COMMAND_SETS)
    assert registry.suggest("uptme") == ["uptime"]
    assert registry.suggest("defne")[0] == "define"
    assert registry.suggest("zzzzzz") == []
    assert registry.suggest("hi") == []  # no chance overlap with "whatis", define's alias


def test_user_module_named_in_botless_commands(tmp_path, monkeypatch):
    (tmp_path / "my_team_commands.py").write_text(textwrap.dedent('''
        from core.registry import CommandSet
        commands = CommandSet()

        @commands.command(help="Greet the team")
        def hi(command):
            return "hi team"
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    sets = load_modules(["my_team_commands"])
    assert Registry(sets).find("hi").help == "Greet the team"


def test_module_without_commands_or_missing_module_gives_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "empty_module.py").write_text("x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CommandDefinitionError, match="defines no CommandSet"):
        load_modules(["empty_module"])
    with pytest.raises(CommandDefinitionError, match="cannot be imported"):
        load_modules(["no_such_module_here"])


def test_entry_point_group_is_discovered(tmp_path, monkeypatch):
    """A real installed distribution (a dist-info on sys.path) publishing a CommandSet."""
    (tmp_path / "ep_commands.py").write_text(textwrap.dedent('''
        from core.registry import CommandSet
        commands = CommandSet()

        @commands.command(help="Ping from a plugin")
        def ping(command):
            return "pong"
    '''))
    dist = tmp_path / "botless_ping_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: botless-ping-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[botless.commands]\nping = ep_commands:commands\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("ep_commands", None)
    assert [spec.name for spec in Registry(load_entry_points()).specs] == ["ping"]
