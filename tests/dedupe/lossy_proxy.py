"""A TCP proxy on 127.0.0.1 that loses the answers to chosen requests: the lost-answer tests' network.

Everything is relayed both ways, except after the proxy is `arm`ed: the next request (or
the next `times` requests) whose bytes match (the store's conditional write) is forwarded
to the real service, which performs it; its answer is then swallowed and the connection
closed, as a network that fails after the service acted. The client library sees a
dropped connection and decides for itself whether to send the write again (through a new
connection, relayed as usual, or lost again while the proxy is still armed).

The answer is recognised without parsing the protocol for HTTP/1.1 and Redis (the server
speaks only when asked). HTTP/2 (gRPC) servers also send frames of their own (SETTINGS,
WINDOW_UPDATE, PING), so there the proxy reads the frame headers and drops on the first
HEADERS frame, which a gRPC server sends only once the call has been handled.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

Matcher = Callable[[bytes], bool]  # the bytes a client sent since the last answer -> is it the write?
_HEADERS_FRAME = 0x1  # (servers send no preface: their stream is frames from the first byte)


class LossyProxy:
    """Relays 127.0.0.1:`port` to `upstream`; loses answers after `arm`."""

    def __init__(self, upstream: tuple[str, int], *, http2: bool = False) -> None:
        self.upstream = upstream
        self.http2 = http2
        self.dropped = 0  # answers lost so far
        self._matcher: Matcher | None = None
        self._times = 0  # matching answers still to lose
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._closed = False
        self._start(self._accept)

    def arm(self, matcher: Matcher, times: int = 1) -> None:
        """Lose the answers to the next `times` requests whose bytes `matcher` accepts."""
        with self._lock:
            self._matcher, self._times = matcher, times

    def disarm(self) -> None:
        """Lose no more answers: relay everything."""
        with self._lock:
            self._matcher, self._times = None, 0

    def close(self) -> None:
        """Stop accepting and close every relayed connection."""
        self._closed = True
        # shutdown, not only close: on Linux close() leaves the thread blocked in accept() (and
        # the join below waiting its 5 s); shutdown() wakes it with an error, so it returns.
        _close(self._listener)
        for sock in list(self._sockets):
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=5)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(self.upstream)
            except OSError:  # the service is gone (end of session): the client sees a drop
                _close(client)
                continue
            self._sockets += [client, server]
            connection = _Connection(self, client, server)
            self._start(connection.requests)
            self._start(connection.answers)

    def _take(self, sent: bytes) -> bool:
        # True when `sent` is an armed request: its answer is one to lose (disarmed after `times`).
        with self._lock:
            if self._matcher is not None and self._matcher(sent):
                self._times -= 1
                if self._times <= 0:
                    self._matcher = None
                return True
            return False


class _Connection:
    """One client connection and its connection to the service."""

    def __init__(self, proxy: LossyProxy, client: socket.socket, server: socket.socket) -> None:
        self.proxy, self.client, self.server = proxy, client, server
        self.sent = b""  # what the client sent since the service last answered
        self.doomed = False  # the armed request went through: lose its answer

    def requests(self) -> None:
        while chunk := _receive(self.client):
            self.sent += chunk
            if not self.doomed and self.proxy._take(self.sent):
                self.doomed = True
            try:
                self.server.sendall(chunk)
            except OSError:
                break
        _close(self.server)

    def answers(self) -> None:
        pending = b""
        while chunk := _receive(self.server):
            if not self.proxy.http2:
                if self.doomed:
                    return self._lose()
                self.sent = b""
                if not _send(self.client, chunk):
                    break
                continue
            pending += chunk
            relay = b""
            # Whole frames only: 9-byte header (24-bit length, type, flags, stream id), then payload.
            while len(pending) >= 9 and len(pending) >= 9 + int.from_bytes(pending[:3], "big"):
                size = 9 + int.from_bytes(pending[:3], "big")
                if self.doomed and pending[3] == _HEADERS_FRAME:
                    _send(self.client, relay)
                    return self._lose()
                relay, pending = relay + pending[:size], pending[size:]
            if relay and not _send(self.client, relay):
                break
        _close(self.client)

    def _lose(self) -> None:
        self.proxy.dropped += 1
        _close(self.client)
        _close(self.server)


def _receive(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
