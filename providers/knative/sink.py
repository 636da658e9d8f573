"""Knative's SinkBinding contract: publish CloudEvents to `K_SINK`, `K_CE_OVERRIDES` applied.

A SinkBinding injects `K_SINK` (the Broker's address) and optionally `K_CE_OVERRIDES`,
JSON like `{"extensions": {"team": "ops"}}` whose extensions every published event must
carry. With Knative Eventing's `authentication-oidc` feature on, it also mounts a token
for the Broker's audience at `/oidc/token`, which every publish sends as a bearer token. The
receive role publishes here; the mono role defers its slow work here (the Broker's Trigger
brings it back to the same service).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudevents.http import CloudEvent

from core.wire import event_to_http
from providers.runtime import ConfigurationError, PublishError

_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
# Where a SinkBinding puts its OIDC token (a file; or a folder holding `token`).
OIDC_TOKEN_PATH = Path("/oidc/token")


def oidc_token(path: Path = OIDC_TOKEN_PATH) -> str:
    """The SinkBinding's current OIDC token, or "" when there is none (the feature is off).

    Read on every publish: Knative refreshes the mounted token before it expires.
    """
    try:
        target = path / "token" if path.is_dir() else path
        return target.read_text().strip() if target.is_file() else ""
    except OSError:
        return ""


def parse_overrides(raw: str) -> dict[str, str]:
    """The extensions of a `K_CE_OVERRIDES` value; ConfigurationError when it is malformed."""
    if not raw.strip():
        return {}
    try:
        overrides = json.loads(raw)
    except ValueError as error:
        raise ConfigurationError(f"K_CE_OVERRIDES is not JSON ({error}); expected "
                                 '{"extensions": {"name": "value"}}') from None
    extensions = overrides.get("extensions", {}) if isinstance(overrides, dict) else None
    if not isinstance(extensions, dict):
        raise ConfigurationError('K_CE_OVERRIDES must look like {"extensions": {"name": "value"}}')
    for name in extensions:
        if not _EXTENSION_NAME.match(name):
            raise ConfigurationError(f"K_CE_OVERRIDES extension {name!r} is not a CloudEvents "
                                     "extension name (1-20 lower-case letters or digits)")
    return {name: str(value) for name, value in extensions.items()}


class KnativeSink:
    """Publishes to the sink over HTTP (binary mode); also the mono topology's deferrer."""

    def __init__(self, url: str, overrides: Mapping[str, str] | None = None, *,
                 timeout_seconds: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"K_SINK={url!r} is not an http(s) URL")
        self.url = url
        self.overrides = dict(overrides or {})
        self.timeout_seconds = timeout_seconds
        self.oidc_token_path = OIDC_TOKEN_PATH
        self._http: Any = None
        self._http_loop: Any = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KnativeSink | None:
        """The sink a SinkBinding injected, or None when `K_SINK` is not set."""
        url = env.get("K_SINK", "")
        if not url:
            return None
        return cls(url, parse_overrides(env.get("K_CE_OVERRIDES", "")))

    async def publish(self, event: CloudEvent) -> None:
        """POST `event` to the sink; PublishError unless it answers 2xx."""
        import httpx  # here, not at import: parse, command and respond never publish

        headers, body = event_to_http(self.with_overrides(event), "binary")
        token = oidc_token(self.oidc_token_path)
        if token:
            headers = {**headers, "authorization": f"Bearer {token}"}
        try:
            response = await self._client().post(self.url, headers=headers, content=body)
        except httpx.HTTPError as error:
            raise PublishError(f"sink {self.url} unreachable: {type(error).__name__}: {error}") from None
        if not 200 <= response.status_code < 300:
            raise PublishError(f"sink {self.url} refused event {event['id']}: HTTP "
                               f"{response.status_code} {response.text[:200]}")

    def _client(self) -> Any:
        # One client per event loop, kept: building one costs ~20 ms (its TLS context),
        # which measured as most of the receive role's time when made per publish.
        import asyncio

        import httpx

        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop or self._http.is_closed:
            self._http = httpx.AsyncClient(timeout=self.timeout_seconds)
            self._http_loop = loop
        return self._http

    async def aclose(self) -> None:
        """Close the kept HTTP client (at server shutdown)."""
        if self._http is not None and not self._http.is_closed:
            await self._http.aclose()
        self._http = None

    async def defer(self, event: CloudEvent) -> None:
        """Defer through the Broker: the same as publishing."""
        await self.publish(event)

    def with_overrides(self, event: CloudEvent) -> CloudEvent:
        """A copy of `event` carrying the K_CE_OVERRIDES extensions."""
        if not self.overrides:
            return event
        attributes: dict[str, Any] = {**event.get_attributes(), **self.overrides}
        return CloudEvent(attributes, event.data)
