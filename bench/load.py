"""Signed Slack messages with retries and twins against two `botless serve` sharing one store.

Run: python bench/load.py [--messages 5000] [--clients 50] [--retries 0.2] [--twins 0.05]
                          [--store sqlite|redis] [--rate-limit]
Prints replies per message (0, 1, 2+), non-2xx answers, p50/p99 latency and each server's
peak RSS. Asserts nothing (tests/local/test_load.py runs 300 messages and checks the counts).

`--rate-limit` makes the stand-in enforce Slack's one message per second per channel (429
with Retry-After past it) over the 10 channels the messages use; it then also prints the
429s answered and the delay from each message's first send to its reply's acceptance.
Try `--rate-limit --messages 100`: about ten replies queue on each channel.

Each message is `/echo m<N>` as a signed Events API callback. A retry is the same signed
body re-sent with X-Slack-Retry-Num/-Reason, to either server, half of them at once with
the original; a twin is Slack's second event for one post (an `app_mention` with its own
event_id, same channel and ts). Every message must get exactly one reply. Replies go to a
stand-in Web API on 127.0.0.1 (bench/slack_api.py).

`--store redis` starts redis-server on 127.0.0.1 and passes BOTLESS_DEDUPE=redis://..., the
store `botless serve` shares across machines (providers/knative/dedupe.py).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.servers import BotlessServer, RedisServer, free_port  # noqa: E402
from bench.slack_api import SlackApi  # noqa: E402

SECRET = "bench-signing-secret-valid-nowhere"


@dataclass
class LoadResult:
    """What a run measured: replies per message, answers, latencies, servers' peak RSS."""

    messages: int
    replies: Counter[int] = field(default_factory=Counter)  # replies per message -> messages
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    sent_at: dict[int, float] = field(default_factory=dict)  # message -> monotonic time of its first send
    refused: int = 0  # the stand-in's 429s (--rate-limit)
    delays_s: list[float] = field(default_factory=list)  # first send -> reply accepted (--rate-limit)

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def callback(index: int, kind: str = "message") -> bytes:
    """The Events API callback of message `index` (its `app_mention` twin with kind)."""
    ts = f"1700000000.{index:06d}"
    text = f"/echo m{index}" if kind == "message" else f"<@UBENCHBOT> /echo m{index}"
    event = {"type": kind, "user": "W1", "text": text, "ts": ts, "channel": f"C{index % 10}", "event_ts": ts}
    return json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                       "event_id": f"Ev{index}{'' if kind == 'message' else 'M'}", "event_time": 1700000000,
                       "event": event}).encode()


def signed(body: bytes, retry: int = 0) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-slack-request-timestamp": stamp,
               "x-slack-signature": f"v0={digest}"}
    if retry:
        headers |= {"x-slack-retry-num": str(retry),
                    "x-slack-retry-reason": random.choice(["http_timeout", "http_error"])}
    return headers


def plan(messages: int, retries: float, twins: float, servers: int,
         seed: int = 9) -> list[list[tuple[int, bytes, int]]]:
    """Per message, the groups of sends (server, body, retry number); a group goes at once."""
    rng = random.Random(seed)
    plans = []
    for index in range(messages):
        body = callback(index)
        first = [(rng.randrange(servers), body, 0)]
        later: list[tuple[int, bytes, int]] = []
        if rng.random() < twins:
            first.append((rng.randrange(servers), callback(index, "app_mention"), 0))
        if rng.random() < retries:
            (first if rng.random() < 0.5 else later).append((rng.randrange(servers), body, 1))
        plans.append([first, later] if later else [first])
    return plans


async def drive(urls: list[str], plans: list[list[tuple[int, bytes, int]]], clients: int,
                result: LoadResult) -> None:
    import httpx

    queue: asyncio.Queue[list[list[tuple[int, bytes, int]]]] = asyncio.Queue()
    for groups in plans:
        queue.put_nowait(groups)

    async def send(client: httpx.AsyncClient, server: int, body: bytes, retry: int) -> None:
        result.sent_at.setdefault(_index_of(body), time.monotonic())
        started = time.perf_counter()
        try:
            answer = await client.post(urls[server] + "/slack/events", content=body, headers=signed(body, retry))
            status = answer.status_code
        except httpx.HTTPError:
            status = 599  # no answer at all: counted as a server error
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.statuses[status] += 1

    async def client_loop() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while not queue.empty():
                for group in queue.get_nowait():
                    await asyncio.gather(*(send(client, *item) for item in group))

    await asyncio.gather(*(client_loop() for _ in range(clients)))


def _index_of(body: bytes) -> int:
    return int(json.loads(body)["event"]["text"].rpartition("m")[2])


def settle(api: SlackApi, expected: int, quiet_seconds: float = 1.5, limit_seconds: float = 60) -> None:
    """Wait until the replies stop coming (every message answered, or nothing new for a while)."""
    deadline, last, last_change = time.monotonic() + limit_seconds, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = api.replies
        if count != last:
            last, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > (0.3 if count >= expected else quiet_seconds):
            return
        time.sleep(0.05)


def run_load(messages: int, clients: int, retries: float, twins: float, store: str,
             rate_limit: bool = False) -> LoadResult:
    """Start the stand-in API, the store and two servers; send the load; count the replies.

    With `rate_limit`, the stand-in allows one post per second per channel (Slack's limit).
    """
    result = LoadResult(messages)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        api = stack.enter_context(SlackApi(per_channel_interval=1.0 if rate_limit else 0.0))
        if store == "redis":
            dedupe = f"redis://127.0.0.1:{stack.enter_context(RedisServer(free_port())).port}/0"
        else:
            dedupe = f"sqlite:{Path(tmp) / 'dedupe.db'}"
        env = {**os.environ, "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-bench-valid-nowhere",
               "SLACK_API_URL": api.url, "BOTLESS_DEDUPE": dedupe, "BOTLESS_ENTRY_POINTS": "0"}
        servers = [stack.enter_context(BotlessServer(free_port(), env)) for _ in range(2)]
        asyncio.run(drive([server.url for server in servers], plan(messages, retries, twins, len(servers)),
                          clients, result))
        # Rate-limited replies arrive a second apart per channel, some after a bus redelivery.
        settle(api, messages, quiet_seconds=8 if rate_limit else 1.5,
               limit_seconds=60 + (messages if rate_limit else 0))
        result.peak_rss_mb = [server.peak_rss_mb() for server in servers]
        replies = {index: api.texts.get(f"m{index}", 0) for index in range(messages)}
        result.replies = Counter(min(count, 2) for count in replies.values())
        result.refused = api.refused
        result.delays_s = sorted(api.first_accepted[f"m{index}"] - result.sent_at[index]
                                 for index in range(messages) if f"m{index}" in api.first_accepted)
    return result


def report(result: LoadResult) -> str:
    latencies = sorted(result.latencies_ms) or [0.0]
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    return "\n".join([
        f"{result.messages} messages, {len(result.latencies_ms)} requests",
        f"replies per message: 0 -> {result.replies[0]}, 1 -> {result.replies[1]}, 2+ -> {result.replies[2]}",
        f"non-2xx answers: {result.non_2xx} (5xx or no answer: {result.server_errors}); "
        f"statuses {dict(sorted(result.statuses.items()))}",
        f"latency p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms",
        "peak RSS: " + ", ".join(f"server {i + 1} {mb:.0f} MB" for i, mb in enumerate(result.peak_rss_mb)),
        *(_rate_limit_lines(result) if result.refused else []),
    ])


def _rate_limit_lines(result: LoadResult) -> list[str]:
    delays = result.delays_s or [0.0]

    def at(share: float) -> float:
        return delays[min(len(delays) - 1, int(len(delays) * share))]

    return [
        f"rate limit: {result.refused} posts answered 429; delivered {result.replies[1] + result.replies[2]}, "
        f"duplicates {result.replies[2]} (goal 0), lost {result.replies[0]} (goal 0)",
        f"delay to the reply: p50 {at(0.5):.1f} s, p90 {at(0.9):.1f} s, max {delays[-1]:.1f} s",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--retries", type=float, default=0.2, help="share of messages re-sent as Slack retries")
    parser.add_argument("--twins", type=float, default=0.05, help="share with an app_mention twin")
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--rate-limit", action="store_true",
                        help="the stand-in allows one message per second per channel (429 past it)")
    args = parser.parse_args()
    if args.store == "redis" and not shutil.which("redis-server"):
        print("--store redis needs redis-server on PATH (bash .ci/services.sh installs it)", file=sys.stderr)
        return 2
    try:
        result = run_load(args.messages, args.clients, args.retries, args.twins, args.store, args.rate_limit)
    except RuntimeError as error:  # a server that would not start says why
        print(error, file=sys.stderr)
        return 2
    print(f"store: {args.store}, 2 servers, {args.clients} clients, {args.retries:.0%} retries, {args.twins:.0%} twins")
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
