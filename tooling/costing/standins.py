"""Loopback endpoints the measured handlers talk to, so their network calls really happen.

The chat platform's API (Slack's `chat.postMessage` answers `{"ok": true}`) and an HTTP
event sink (Knative's Broker ingress answers 202) are stood in for by one small server;
AWS's EventBridge is moto in server mode. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from tooling.loopback import Answer, Request, serving

# One answer for every platform and the sink: Slack's `ok`, Telegram's `result`.
_ACCEPTED = {"ok": True, "channel": "C111", "ts": "1.000001", "result": {}}


def _answer(request: Request) -> Answer:
    return Answer.json(_ACCEPTED, 202 if request.path.startswith("/sink") else 200)


@contextmanager
def platform_api() -> Iterator[str]:
    """A loopback server answering like Slack's Web API (`/api/...`) and a Broker (`/sink`)."""
    with serving(_answer) as url:
        yield url


@contextmanager
def moto_eventbridge(bus: str) -> Iterator[str]:
    """moto in server mode on loopback with the event bus `bus` created; yields its URL."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        events = boto3.client("events", endpoint_url=url, region_name="us-east-1", aws_access_key_id="measure",
                              aws_secret_access_key="measure")
        # moto keeps its accounts in module state that every server in this process shares: an
        # earlier measurement's bus is still there. (No /moto-api/reset: it would also empty
        # the buses and tables of another moto server the tests keep running in this process.)
        with suppress(events.exceptions.ResourceAlreadyExistsException):
            events.create_event_bus(Name=bus)
        yield url
    finally:
        server.stop()
