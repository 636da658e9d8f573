"""The "reply posted" warm scenario: a signed `app_mention` whose reply the contestant posts with chat.postMessage.

The child loads a contestant the way its platform does (bench/hosts.py), answers one
mention untimed (bolt's auth.test and every first-use import happen there), then `events`
more, each with its own event_id, client_msg_id, ts and signature, timing each from the
event handed over to the answer returned: the post to the loopback stand-in
(bench/standin.py) is inside. The parent counts the stand-in's posts around the process:
one per event is expected, a missing one counts as a failed answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.fixture import MENTION_NUMBER, RESIGN, function_url_event

TEMPLATE = '''
import os, sys, time
sys.path[:0] = {path!r}
{load}
HEADERS, BODY, EVENT = {headers!r}, {body!r}, {event!r}
{call}
import json
{resign}
def variant(number):
    return resigned(BODY.replace({token!r}, b"%06d" % number))
status, said = answer(*variant(0))
if status != 200:
    print("BENCH " + json.dumps({{"error": f"answered {{status}}: {{said[:300]!r}}"}}), flush=True)
    os._exit(1)
clock, times, refused = time.perf_counter, [], 0
for number in range(1, {events} + 1):
    event = variant(number)  # made untimed, one at a time
    started = clock()
    status, said = answer(*event)
    times.append((clock() - started) * 1e6)
    refused += status != 200
print("BENCH " + json.dumps({{"times_us": times, "non_200": refused}}), flush=True)
os._exit(0)
'''


@dataclass
class Posted:
    """One contestant's reply-posted figures: per-event µs, answers not a 200, posts the stand-in saw and expected."""

    times_us: list[float]
    non_200: int = 0
    posts_seen: int = 0
    posts_expected: int = 0

    @property
    def failed(self) -> int:
        """Events not answered with a 200 or whose post the stand-in never saw (one event may be both: counted once)."""
        return max(self.non_200, self.posts_expected - self.posts_seen)


def code(path: Sequence[str], load: str, call: str, headers: Mapping[str, str], body: bytes, events: int) -> str:
    """The child's program: one untimed mention, then `events` timed ones (so events + 1 posts expected)."""
    event = json.dumps(function_url_event(dict(headers), body))
    return TEMPLATE.format(path=list(path), load=load, call=call, headers=dict(headers), body=body, event=event,
                           events=events, resign=RESIGN, token=MENTION_NUMBER.encode())
