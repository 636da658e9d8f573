"""BENCHMARKS.md: what was measured, how, on what machine, and how to rerun it."""

from __future__ import annotations

from bench.report import Machine
from bench.rounds import Figures

METHOD = """\
## How it is measured

- **The fixture**: a `/uptime` slash command, form-encoded and signed like Slack signs
  (bench/fixture.py), the same bytes for every contestant (re-signed each round).
- **Botless as shipped**: `botless package --target aws-lambda|gcf|azure|knative --platform slack`
  into a temp dir, unpacked, run from there. Lambda contestants run with `python -I -S` and
  only their folder plus a folder holding the runtime's boto3 on the path (bolt-python,
  mangum + Starlette and mangum alone with their packages copied in, as a user's zip would
  hold them); the handler string is the one infra/aws_lambda names; each event is a
  Function URL event. The Lambda and Azure contestants get their runtime's root log handler
  (a stream at WARNING, as awslambdaric and Azure's worker set it up), so what a contestant
  logs per event is written, as deployed (Botless: one JSON line per event; GCF and Knative
  write theirs to stderr, as their entrypoints configure).
  GCF, Azure and Knative run with `-I` on this venv's site-packages (the `bench` extra)
  with their folder first: functions-framework's `create_app` with the request as a WSGI
  environ (an ASGI scope for an `aio` function: Botless's and the aio peer's),
  function_app.py indexed and its HTTP function called with an `azure.functions.HttpRequest`,
  the ASGI app after its lifespan startup. The Knative context gets its Dockerfile's hash-based compile step.
  Entry points are on, as deployed: the Lambda zip reads those it froze at build time
  (`botless_entry_points.json`); GCF, Azure and Knative, running on this venv's far larger
  set of distributions, get `BOTLESS_ENTRY_POINTS=0` so no scan of this venv is counted.
- **Peers** (bench/peers.py): bolt-python with its Lambda adapter and its Cloud Functions
  adapter (under functions-framework), and bare functions — functions-framework, its `aio`
  mode (`functions-framework-aio`), mangum + Starlette, mangum alone (`mangum-bare`), an Azure
  v2 FunctionApp with one HTTP route, a plain Starlette service, and the stdlib floor — each
  checking the signature with `hmac` and answering in the ack.
  `mangum-bare` is the floor under the Lambda HTTP adapter the design mandates: mangum (with
  typing_extensions, its one dependency, copied in) around a few-line ASGI app, no framework
  and no bot. Its cold import and warm p50 as a ratio to bolt-python are written beside the
  two Lambda goals measured against bolt: the lowest ratio a bot on that adapter can reach,
  before any bot code runs.
  `functions-framework-aio` is an `@functions_framework.aio.http` function, loaded and called
  as Botless's `mono` is (`create_app`, an ASGI scope): that mode imports Starlette on top of
  Flask, so it is the floor for an async function; Botless's cold import as a ratio to it is
  written beside the GCF goal, which the issue takes against the Flask-mode function.
- **Cold**: each round runs `python -c pass` with each flag set, then every contestant in
  turn (round-robin), each figure in a fresh process: import (teardown at exit counted),
  import then `os._exit` (no teardown), import + first answer (then `os._exit`). Medians
  of the rounds, in ms above the baseline.
- **Warm**: per contestant and round, one process answers `events` slash commands, each
  with its own trigger_id and signature (a repeat would meet Botless's dedupe and be
  answered with an empty ack: cheaper, and not a command); p50/p99 of the pooled
  per-event times, in µs. Any answer that is not a 200 carrying the text is counted. No call leaves a fast slash command
  (bolt-python's one `auth.test` at its first request goes to a loopback stand-in).
  Peak RSS is the warm process's VmHWM after its events.
- **Reply posted** (bench/posted.py): the Lambda contestants that post a reply — Botless,
  bolt-python (`say()` in its `app_mention` listener, `process_before_response`) and the
  floor (`urllib.request`) — each get, per warm round, a process that answers one
  untimed Events API `app_mention` callback (`<@U111> uptime`, the bot's id in
  `authorizations`, signed JSON in a Function URL event), then `events` more, each with
  its own event_id, client_msg_id, ts and signature. Each reply is a `chat.postMessage`
  to the loopback stand-in (SLACK_API_URL; bench/standin.py answers in Slack's documented
  `ok`/`channel`/`ts`/`message` shape and counts the posts) made inside the invocation,
  so the per-event time includes a real HTTP round trip on 127.0.0.1. p50/p99 of the
  pooled times, in µs; the stand-in's posts are counted around each process, and an
  event without its post, or not answered with a 200, is a failed answer.
- **Artifact**: the unpacked folder's bytes (Lambda: with its dependencies; GCF, Azure and
  Knative: the source the platform installs requirements for, so a bare peer's one file
  is about 0 and no ratio is taken to it).
- **Knative HTTP**: Botless's context under uvicorn (its CMD's flags), the plain Starlette
  service under the same uvicorn, and a bare function under the `functions-framework` CLI,
  taking turns under wrk (1 thread, 16 connections) or, without wrk, a bounded asyncio
  loader of the same shape; every request its own slash command. Median of the turns;
  "failed answers" counts answers that were not a 200 carrying the text.
- Ratios in parentheses are to bolt-python: its Cloud Functions adapter for the GCF
  contestants, its Lambda adapter for the others.
"""


def document(machine: Machine, table: str, posts: str, http: str, goals: list[str], figures: dict[str, Figures], *,
             rounds: int, warm_rounds: int, events: int, quick: bool) -> str:
    refused = [f"{name} ({f.non_200})" for name, f in figures.items() if f.non_200]
    return "\n".join([
        "# Benchmarks", "",
        "Written by `python -m bench` (bench/__main__.py); rerun it to get this machine's figures:", "",
        "```", "pip install -e '.[bench]'   # the peers", "apt-get install -y wrk     # optional: the HTTP loader",
        "python -m bench            # --rounds N, --quick (a smoke run), --only NAME (repeatable)", "```", "",
        f"Machine: {machine.line()}. The machine may be shared: ratios from one interleaved run count, "
        "absolute figures less.", "",
        f"Run: {rounds} cold rounds, {warm_rounds} warm rounds × {events} events"
        + (" (--quick: a smoke run, not figures to quote)" if quick else "") + ".", "",
        "## Figures", "", table, "",
        *([f"Warm answers that were not a 200 with the text: {', '.join(refused)}", ""] if refused else []),
        *(["## Reply posted", "", posts, ""] if posts else []),
        *(["## Knative HTTP", "", http, ""] if http else []),
        "## Issue 11's goals", "", *goals, "",
        METHOD,
    ])
