"""`botless chat`: talk to the bot through all four roles on the embedded bus."""

from __future__ import annotations

import argparse
import asyncio
import sys

from core.settings import TOPOLOGIES


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--message", action="append", default=[], metavar="TEXT",
                        help="a message to send (repeatable); without -m, an interactive prompt")
    parser.add_argument("--topology", choices=TOPOLOGIES, default=None,
                        help="mono (one function for all roles) or pipeline (one per role)")
    parser.add_argument("--log-level", default="WARNING", help="log level for the JSON event log on stderr")


def run(args: argparse.Namespace) -> int:
    from core.conversation import ask
    from functions.local.runtime import StartupError, build_local_bot, fail

    try:
        bot, broker = build_local_bot(args.topology, args.log_level)
    except StartupError as error:
        return fail(str(error))

    async def say(text: str) -> None:
        replies = await ask(bot, broker, text)
        if not replies:
            print("(no reply: that is no command; try /help)" if sys.stdin.isatty() and not args.message else "")
        for reply in replies:
            print(reply.text)

    async def conversation() -> None:
        if args.message:
            for text in args.message:
                await say(text)
            return
        print("Botless — type /help, Ctrl-D to leave.")
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, input, "you> ")
            except EOFError:
                print()
                return
            if line.strip():
                await say(line)

    asyncio.run(conversation())
    return 0
