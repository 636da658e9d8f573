"""The Pub/Sub push OIDC token on mono's deferred endpoint (`/_botless/deferred`).

mono is a public function (the platforms call its webhooks), so its deferred endpoint is
reachable from the internet too. A push subscription with `oidc_token` signs every push
as its service account: `Authorization: Bearer <Google ID token>`. With
`BOTLESS_PUSH_SERVICE_ACCOUNT` set, a push counts only when that token is signed by Google
(google-auth, against Google's published certificates), names this endpoint's audience
(`BOTLESS_PUSH_AUDIENCE`, default the URL it was pushed to) and that service account as
its verified `email`. The URL token (`?token=`) stays the first check.

google-auth is imported on the first push, never at a cold start that serves a webhook.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CERTS_TTL_SECONDS = 300
REFETCH_AFTER_SECONDS = 30


class PushTokenError(Exception):
    """The push carries no token, or one that does not prove it came from this subscription."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status  # 401: no valid token; 403: a valid token of someone else


class CertsUnavailableError(Exception):
    """Google's certificates could not be fetched: not the sender's fault, so Pub/Sub should retry."""


@dataclass(frozen=True)
class PushAuthSettings:
    """Whose pushes count (a service account), for which audience, checked against which certificates."""

    service_account: str
    audience: str = ""  # empty: the URL the push came to
    certs_url: str = GOOGLE_CERTS_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PushAuthSettings | None:
        """The settings from BOTLESS_PUSH_*, or None when no service account is set (the check is off)."""
        account = env.get("BOTLESS_PUSH_SERVICE_ACCOUNT", "").strip()
        if not account:
            return None
        return cls(service_account=account, audience=env.get("BOTLESS_PUSH_AUDIENCE", "").strip(),
                   certs_url=env.get("BOTLESS_PUSH_CERTS_URL", "").strip() or GOOGLE_CERTS_URL)


class _CachedCerts:
    """A google-auth transport that keeps the certificates' answer for a while (they change rarely)."""

    def __init__(self, ttl: float = CERTS_TTL_SECONDS) -> None:
        from google.auth.transport.requests import Request

        self._request = Request()
        self._ttl = ttl
        self._kept: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
        with self._lock:
            kept = self._kept.get(url)
            if kept and time.monotonic() - kept[0] < self._ttl:
                return kept[1]
        response = self._request(url, method=method, **kwargs)
        if response.status == 200:
            with self._lock:
                self._kept[url] = (time.monotonic(), response)
        return response

    def forget_older_than(self, seconds: float) -> bool:
        """Drop certificates kept longer than `seconds`; True when any were dropped."""
        with self._lock:
            old = [url for url, (at, _) in self._kept.items() if time.monotonic() - at >= seconds]
            for url in old:
                del self._kept[url]
            return bool(old)


class PushVerifier:
    """Checks a push's Google ID token: signature, audience, issuer, expiry, email and email_verified."""

    def __init__(self, settings: PushAuthSettings) -> None:
        self.settings = settings
        self._transport: _CachedCerts | None = None

    def verify(self, authorization: str, pushed_to: str) -> dict[str, Any]:
        """The token's claims; PushTokenError (401/403) when it proves nothing, CertsUnavailableError when unsure."""
        from google.auth import exceptions
        from google.oauth2 import id_token

        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise PushTokenError("no Authorization: Bearer <token>: give the push subscription an oidc_token")
        if self._transport is None:
            self._transport = _CachedCerts()
        audience = self.settings.audience or pushed_to
        try:
            claims = self._decode(id_token, token.strip(), audience)
        except exceptions.TransportError as error:
            raise CertsUnavailableError(f"cannot fetch {self.settings.certs_url}: {error}") from None
        except (ValueError, exceptions.GoogleAuthError) as error:
            # An unknown key id may be a rotation newer than the kept certificates: fetch once
            # more, at most every 30 s, so a stream of bad tokens cannot make us fetch for each.
            if not self._transport.forget_older_than(REFETCH_AFTER_SECONDS):
                raise PushTokenError(f"push token refused: {error}") from None
            try:
                claims = self._decode(id_token, token.strip(), audience)
            except exceptions.TransportError as again:
                raise CertsUnavailableError(f"cannot fetch {self.settings.certs_url}: {again}") from None
            except (ValueError, exceptions.GoogleAuthError):
                raise PushTokenError(f"push token refused: {error}") from None
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise PushTokenError(f"push token refused: issuer {claims.get('iss')!r} is not Google")
        if claims.get("email") != self.settings.service_account or claims.get("email_verified") is not True:
            raise PushTokenError("push token is not the push subscription's service account "
                                 "(BOTLESS_PUSH_SERVICE_ACCOUNT) with a verified email", status=403)
        return claims

    def _decode(self, id_token: Any, token: str, audience: str) -> dict[str, Any]:
        claims: dict[str, Any] = id_token.verify_token(token, self._transport, audience=audience,
                                                       certs_url=self.settings.certs_url, clock_skew_in_seconds=10)
        return claims


def verifier_from_env(env: Mapping[str, str]) -> PushVerifier | None:
    """The verifier BOTLESS_PUSH_* describe, or None when the check is off."""
    settings = PushAuthSettings.from_env(env)
    return PushVerifier(settings) if settings else None
