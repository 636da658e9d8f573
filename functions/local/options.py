"""Option types the subcommands share: argparse turns their errors into one usage line."""

from __future__ import annotations

import argparse
from pathlib import Path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(value: str) -> str:
    """A log level name, in any case."""
    level = value.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"{value!r} is no log level: choose from {', '.join(LOG_LEVELS)}")
    return level


def readable_file(value: str) -> str:
    """The path of a file that exists and can be read (checked now, not mid-run)."""
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{value!r} is no file")
    try:
        path.open("rb").close()
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{value!r} cannot be read: {error.strerror}") from None
    return value
