"""K_SINK for a test: a real HTTP server on 127.0.0.1 recording each CloudEvent POSTed to it (binary mode)."""

from __future__ import annotations

import threading

from cloudevents.http import CloudEvent

from core.wire import event_from_http
from tooling.loopback import Answer, LoopbackServer, Request


class SinkRecorder:
    """What a Broker's ingress takes: each event POSTed to `server.url`, answered 202."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self._lock = threading.Lock()
        self.server = LoopbackServer(self.take)

    def take(self, request: Request) -> Answer:
        with self._lock:
            self.events.append(event_from_http(request.headers, request.body))
        return Answer(202)
