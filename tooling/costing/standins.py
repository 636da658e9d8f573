"""Loopback endpoints the measured handlers talk to, so their network calls really happen.

The chat platform's API (Slack's `chat.postMessage` answers `{"ok": true}`) and an HTTP
event sink (Knative's Broker ingress answers 202) are stood in for by one small server;
AWS's EventBridge is moto in server mode. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = json.dumps({"ok": True, "channel": "C111", "ts": "1.000001", "result": {}}).encode()
        self.send_response(202 if self.path.startswith("/sink") else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def platform_api() -> Iterator[str]:
    """A loopback server answering like Slack's Web API (`/api/...`) and a Broker (`/sink`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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
        boto3.client("events", endpoint_url=url, region_name="us-east-1", aws_access_key_id="measure",
                     aws_secret_access_key="measure").create_event_bus(Name=bus)
        yield url
    finally:
        server.stop()
