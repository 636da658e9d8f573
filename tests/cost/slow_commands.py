"""Commands for the measurement tests: the same work, one of them 120 ms slower (past GCF 1st gen's 100 ms step)."""

import time

from core.registry import CommandSet

commands = CommandSet()


@commands.command(help="Answers at once")
def fast(command):
    return "fast"


@commands.command(help="Answers after 120 ms of work")
def slow(command):
    time.sleep(0.12)
    return "slow"
