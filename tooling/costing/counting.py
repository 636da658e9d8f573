"""Count what the measured invocations cause: calls on the dedupe store, deferrals, log lines.

Run in the measuring worker after the entrypoint is loaded: it finds the bot the
entrypoint built and wraps the real objects it uses, in place, so every call is counted
whoever holds the reference (the bot, its chat adapters, run_role):

- the bot's dedupe store (`bot.dedupe`, shared with its adapters): the four calls of
  core/dedupe.py's protocol, how many claims were fresh, and the longest key;
- the deferrer of each mono chain (`MonoChain.deferrer`): each `defer` is a second
  invocation of the function (Lambda's self-invoke, a Pub/Sub or Event Grid delivery);
- the "botless" logger (`counting_log_lines`): the lines it ships and their bytes, which each
  target's log service bills per GB ingested.

The wrappers pass every call on to the real object and change no answer.
"""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Tally:
    """Calls counted so far (totals over every measured invocation)."""

    claims: int = 0  # put_if_absent
    fresh: int = 0  # put_if_absent that answered True
    confirms: int = 0
    releases: int = 0
    lookups: int = 0  # is_confirmed
    key_bytes: int = 0  # the longest key claimed, UTF-8
    deferrals: int = 0
    log_lines: int = 0  # of the "botless" logger, at the level it keeps
    log_bytes: int = 0  # UTF-8, each line as shipped plus its newline

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def built_objects(kind: type) -> list[Any]:
    """Every live instance of `kind` (the entrypoints keep their bot inside their apps' closures)."""
    return [item for item in gc.get_objects() if isinstance(item, kind)]


def _wrap(target: Any, name: str, count: Callable[[tuple[Any, ...], Any], None]) -> None:
    real = getattr(target, name)

    @functools.wraps(real)
    def counted(*args: Any) -> Any:
        answer = real(*args)
        count(args, answer)
        return answer

    setattr(target, name, counted)  # an instance attribute: found before the class's method


def _wrap_async(target: Any, name: str, count: Callable[[], None]) -> None:
    real = getattr(target, name)

    @functools.wraps(real)
    async def counted(*args: Any) -> Any:
        answer = await real(*args)
        count()  # counted once the hand-off succeeded: a refused one causes no invocation
        return answer

    setattr(target, name, counted)


def count_store(store: Any, tally: Tally) -> None:
    """Count the calls on `store` (a core.dedupe.DedupeStore) into `tally`."""
    def claimed(args: tuple[Any, ...], fresh: Any) -> None:
        tally.claims += 1
        tally.fresh += bool(fresh)
        tally.key_bytes = max(tally.key_bytes, len(str(args[0]).encode()))

    def confirmed(args: tuple[Any, ...], answer: Any) -> None:
        tally.confirms += 1

    def released(args: tuple[Any, ...], answer: Any) -> None:
        tally.releases += 1

    def looked_up(args: tuple[Any, ...], answer: Any) -> None:
        tally.lookups += 1

    _wrap(store, "put_if_absent", claimed)
    _wrap(store, "confirm", confirmed)
    _wrap(store, "release", released)
    _wrap(store, "is_confirmed", looked_up)


def count_deferrals(deferrer: Any, tally: Tally) -> None:
    """Count each successful `defer` of `deferrer` (providers.runtime.Deferrer) into `tally`."""
    def deferred() -> None:
        tally.deferrals += 1

    _wrap_async(deferrer, "defer", deferred)


class LogLineCounter(logging.Handler):
    """Counts each record the "botless" logger ships, formatted as core/logs.py's JsonLineFormatter does."""

    def __init__(self, tally: Tally) -> None:
        from core.logs import JsonLineFormatter

        super().__init__()  # NOTSET: which records are kept is the logger's level, as the entrypoint set it
        self.setFormatter(JsonLineFormatter())
        self.tally = tally
        self._kept: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # A record handed to the logger directly skips its level check: one below the level kept is not shipped.
        if record.levelno >= logging.getLogger(record.name).getEffectiveLevel():
            self._kept.append(record)  # formatted in `settle`, outside the timed invocations

    def settle(self) -> None:
        """Add the kept records' lines and bytes to the tally."""
        for record in self._kept:
            self.tally.log_lines += 1
            self.tally.log_bytes += len((self.format(record) + "\n").encode("utf-8"))
        self._kept.clear()


@contextmanager
def counting_log_lines(tally: Tally) -> Iterator[LogLineCounter]:
    """Count into `tally` the lines the "botless" logger writes while inside.

    The level kept is the one the loaded entrypoint gave the logger (BOTLESS_LOG_LEVEL, default
    INFO: core/logs.py), so enter after it is loaded; the handler sits on the logger itself, so
    records reach it whatever the root logger's level or handlers, and with propagation off.
    """
    handler = LogLineCounter(tally)
    logger = logging.getLogger("botless")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        handler.settle()


def instrument() -> Tally:
    """Wrap the store and the deferrers of the bot the loaded entrypoint built; the tally they count into.

    RuntimeError unless exactly one bot was built: counting another's calls would be a wrong bill.
    """
    from core.bot import Bot
    from providers.mono import MonoChain

    gc.collect()  # a bot built and dropped while loading is not the one serving
    bots = built_objects(Bot)
    if len(bots) != 1:
        raise RuntimeError(f"the entrypoint built {len(bots)} bots; the measurement counts the calls of one")
    tally = Tally()
    count_store(bots[0].dedupe, tally)
    deferrers = {id(chain.deferrer): chain.deferrer for chain in built_objects(MonoChain)}
    for deferrer in deferrers.values():
        count_deferrals(deferrer, tally)
    return tally


def chat_secrets_set(env: Mapping[str, str]) -> list[str]:
    """The chat secrets of the platforms the bot serves that `env` sets: what a deployment stores."""
    from core.chat.platforms import chat_secrets
    from core.settings import Settings

    return [name for name in chat_secrets(Settings.from_env(env)) if env.get(name, "").strip()]
