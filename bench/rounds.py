"""The interleaved run: each round visits every contestant in turn, so the machine's noise hits all alike.

Per round: `python -c pass` with each contestant's flags (the baseline), then, per
contestant, a cold import with teardown, one without (os._exit), and import + first
answer, each in a fresh process. Then the warm rounds: per contestant a process that
answers `events` times, and for a contestant that `posts`, one that answers `events`
mentions whose replies it posts to the stand-in (bench/posted.py), the stand-in's posts
of the answer counted around the process. The samples of all warm rounds are pooled.
The fixtures are signed afresh each round (Slack's five-minute window).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench import child, posted
from bench.contestants import Contestant
from bench.fixture import UPTIME_REPLY, app_mention, slash_command
from bench.posted import Posted
from bench.shipped import size_mib
from bench.standin import SlackStandIn

COLD_MODES = ("import", "import-exit", "first")


@dataclass
class Figures:
    """What was measured of one contestant (ms above the baseline; µs per event)."""

    cold: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    warm_us: list[float] = field(default_factory=list)
    peak_rss_mib: float = 0.0
    non_200: int = 0
    size_mib: float = 0.0
    replies: Posted | None = None  # the reply-posted scenario, if the contestant posts

    def cold_ms(self, mode: str) -> float:
        return statistics.median(self.cold[mode]) if self.cold[mode] else float("nan")

    def warm(self, share: float) -> float:
        return _share(self.warm_us, share)

    def posted_us(self, share: float) -> float:
        return _share(self.replies.times_us, share) if self.replies else float("nan")


def _share(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def run(contestants: Sequence[Contestant], rounds: int, warm_rounds: int, events: int, work: str,
        api: SlackStandIn, progress: Callable[[str], None] = print) -> dict[str, Figures]:
    figures = {c.name: Figures(size_mib=size_mib(c.folder)) for c in contestants}
    flag_sets = sorted({c.flags for c in contestants})
    for number in range(1, rounds + 1):
        headers, body = slash_command()
        baseline = {flags: child.run(flags, "pass", {"PATH": "/usr/bin:/bin"}, work)[0] for flags in flag_sets}
        for contestant in contestants:
            for mode in COLD_MODES:
                code = child.code(contestant.path, contestant.load, contestant.call, mode, headers, body)
                wall, _ = _run(contestant, code, work)
                figures[contestant.name].cold[mode].append(wall - baseline[contestant.flags])
        progress(f"cold round {number}/{rounds}")
    for number in range(1, warm_rounds + 1):
        headers, body = slash_command()
        for contestant in contestants:
            code = child.code(contestant.path, contestant.load, contestant.call, "warm", headers, body, events)
            report = child.report(_run(contestant, code, work)[1])
            found = figures[contestant.name]
            found.warm_us.extend(report["times_us"])
            found.peak_rss_mib = max(found.peak_rss_mib, report["peak_rss_mib"])
            found.non_200 += report["non_200"]
            if contestant.posts:
                _post_round(contestant, found, events, work, api)
        progress(f"warm round {number}/{warm_rounds}")
    return figures


def _post_round(contestant: Contestant, found: Figures, events: int, work: str, api: SlackStandIn) -> None:
    """One process of `events` mentions (after an untimed one); the stand-in's posts of the answer counted around it."""
    headers, body = app_mention()
    code = posted.code(contestant.path, contestant.load, contestant.call, headers, body, events)
    before = api.posts
    report = child.report(_run(contestant, code, work)[1])
    if found.replies is None:
        found.replies = Posted([])
    found.replies.times_us.extend(report["times_us"])
    found.replies.non_200 += report["non_200"]
    found.replies.posts_seen += sum(text.startswith(UPTIME_REPLY) for text in api.texts[before:])
    found.replies.posts_expected += events + 1


def _run(contestant: Contestant, code: str, work: str) -> tuple[float, str]:
    try:
        return child.run(contestant.flags, code, contestant.env, work)
    except RuntimeError as error:
        raise RuntimeError(f"{contestant.name}: {error}") from None
