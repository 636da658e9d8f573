"""`botless chat`: talk to the bot through all four roles on the embedded bus."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterator

from core.settings import TOPOLOGIES
from functions.local.options import LOG_LEVELS, log_level

# What a person types to leave the prompt (besides Ctrl-D and Ctrl-C).
QUIT_WORDS = frozenset({"/quit", "/exit", "quit", "exit"})


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--message", action="append", default=[], metavar="TEXT",
                        help="a message to send (repeatable); without -m, an interactive prompt")
    parser.add_argument("--topology", choices=TOPOLOGIES, default=None,
                        help="mono (one function for all roles) or pipeline (one per role)")
    parser.add_argument("--log-level", type=log_level, default="WARNING", metavar="LEVEL",
                        help=f"log level for the JSON event log on stderr ({', '.join(LOG_LEVELS)})")


def run(args: argparse.Namespace) -> int:
    from core.conversation import ask
    from functions.local.runtime import StartupError, build_local_bot, fail

    try:
        bot, broker = build_local_bot(args.topology, args.log_level)
    except StartupError as error:
        return fail(str(error))
    interactive = sys.stdin.isatty() and not args.message

    async def say(text: str) -> None:
        replies = await ask(bot, broker, text)
        if not replies:
            print("(no reply: that is no command; try /help)" if interactive else "", flush=True)
        for reply in replies:
            print(reply.text, flush=True)

    # One loop for the whole conversation, run per message: asyncio.run() would take over
    # Ctrl-C (it only cancels its task, and input() would keep waiting for Enter).
    loop = asyncio.new_event_loop()
    try:
        if args.message:
            for text in args.message:
                loop.run_until_complete(say(text))
            return 0
        if interactive:
            _enable_line_editing()
            print("Botless — type /help; /quit, Ctrl-D or Ctrl-C to leave.")
        for line in _lines(interactive):
            if line.strip().lower() in QUIT_WORDS:
                break
            if line.strip():
                loop.run_until_complete(say(line))
    except KeyboardInterrupt:
        if interactive:
            print()
    finally:
        loop.close()
    return 0


def _lines(interactive: bool) -> Iterator[str]:
    """The lines typed at the prompt, or read from a pipe (no prompt then: replies stay one a line)."""
    if not interactive:
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    while True:
        try:
            # input() in this thread: readline needs it, and Ctrl-C reaches it at once.
            yield input("you> ")
        except EOFError:
            print()
            return


def _enable_line_editing() -> None:
    """Arrow keys and history through readline, where Python has it (not on Windows)."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (importing it is what makes input() edit lines)
