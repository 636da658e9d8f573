"""A real HTTP server on 127.0.0.1 for stand-ins: every request goes to one `answer` function.

The stand-ins of a platform's API, a Broker's ingress or an issuer's keys differ only in
what they answer; the server, its thread and its shutdown are this one. Standard library
only, so tooling/, bench/ and tests/ can all use it (bench never imports tests).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Request:
    """One request a stand-in received: `path` unquoted, header names lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    """What a stand-in answers: a status, a body, its content type ("" for none)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()  # more headers (Retry-After, X-RateLimit-*)

    @classmethod
    def json(cls, value: Any, status: int = 200, content_type: str = "application/json",
             headers: tuple[tuple[str, str], ...] = ()) -> Answer:
        return cls(status, json.dumps(value).encode(), content_type, headers)


class LoopbackServer:
    """The server: `url` is its base; `start`/`stop` (or `with`) run it on a daemon thread."""

    def __init__(self, answer: Callable[[Request], Answer], *, poll_interval: float = 0.05) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answer))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": poll_interval},
                                        daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serving(answer: Callable[[Request], Answer]) -> Iterator[str]:
    """A LoopbackServer answering with `answer` while the block runs; yields its base URL."""
    with LoopbackServer(answer) as server:
        yield server.url


def _handler(answer: Callable[[Request], Answer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the clients under test expect of a real API
        # The headers and the body go out in two writes: with Nagle's algorithm the body waits
        # for the client's ACK of the headers, which a keep-alive client delays ~40 ms.
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            given = answer(Request(self.command, unquote(self.path),
                                   {name.lower(): value for name, value in self.headers.items()}, body))
            self.send_response(given.status)
            if given.content_type:
                self.send_header("content-type", given.content_type)
            for name, value in given.headers:
                self.send_header(name, value)
            if given.status != 204:  # a 204 carries no body and no Content-Length
                self.send_header("content-length", str(len(given.body)))
            self.end_headers()
            self.wfile.write(given.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:  # quiet: thousands of calls in a bench
            pass

    return Handler
