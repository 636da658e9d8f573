"""help, uptime, echo and hash: the small commands every Botless instance answers."""

from __future__ import annotations

import hashlib
import time

from core.registry import Command, CommandSet, Reply

commands = CommandSet()

# "This instance" is this process: on a FaaS target that is one warm container.
_STARTED_AT = time.monotonic()

_HASH_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


@commands.command(help="List every command, one line each", usage="/help [command]", aliases=("commands",))
def help(command: Command) -> str:
    registry = command.registry
    if registry is None:
        return "No commands are registered."
    if command.args:
        spec = registry.find(command.args[0])
        if spec is None:
            return f"No command named `{command.args[0]}`."
        lines = [f"/{spec.name}: {spec.help}"]
        if spec.usage:
            lines.append(f"usage: {spec.usage}")
        if spec.aliases:
            lines.append("aliases: " + ", ".join(spec.aliases))
        return "\n".join(lines)
    return "\n".join(f"/{spec.name}: {spec.help}" for spec in registry.specs)


def describe_duration(seconds: float) -> str:
    """A duration in words at its largest unit: "4 minutes", "128 days", "1 hour"."""
    units = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    for unit, size in units:
        count = int(seconds // size)
        if count >= 1:
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "0 seconds"


@commands.command(help="How long this instance has been up", usage="/uptime")
def uptime(command: Command) -> str:
    return f"I have been up for {describe_duration(time.monotonic() - _STARTED_AT)}."


@commands.command(help="Say the text back", usage="/echo <text>", aliases=("say",))
def echo(command: Command) -> str | Reply:
    if not command.raw_args:
        return Reply("Nothing to echo: try `/echo hello`.", ephemeral=True, is_error=True)
    return command.raw_args


@commands.command(help="Hash text (sha256 unless md5, sha1 or sha512 is named first)",
                  usage="/hash [md5|sha1|sha256|sha512] <text>")
def hash(command: Command) -> str | Reply:
    algorithm, text = "sha256", command.raw_args
    first, _, rest = command.raw_args.partition(" ")
    if first.lower() in _HASH_ALGORITHMS:
        algorithm, text = first.lower(), rest.strip()
    if not text:
        return Reply("Nothing to hash: try `/hash sha1 hello`.", ephemeral=True, is_error=True)
    digest = hashlib.new(algorithm, text.encode("utf-8")).hexdigest()
    return f"{algorithm}: {digest}"
