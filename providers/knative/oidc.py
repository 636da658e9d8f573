"""Knative Eventing's OIDC sender tokens, checked on the bus route `POST /`.

With the `authentication-oidc` feature flag on (ConfigMap `config-features` in
`knative-eventing`), the Broker's filter sends every delivery to a Trigger subscriber
with `Authorization: Bearer <JWT>`: a Kubernetes service-account token whose audience is
the Trigger's `spec.subscriber.audience`, issued by the cluster's service-account issuer
and signed with a key the API server publishes as JWKS (`/openid/v1/jwks`).

This is the second layer behind cluster-local visibility: when
`BOTLESS_KNATIVE_OIDC_AUDIENCE` is set, a delivery without a valid token for that audience
from that issuer gets 401 and runs nothing. PyJWT is imported when the first token is
checked, never by a Service that has no audience set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from providers.runtime import ConfigurationError

logger = logging.getLogger("botless")

DEFAULT_JWKS_URL = "https://kubernetes.default.svc/openid/v1/jwks"
# The pod's own service-account token and the cluster CA: the API server serves its JWKS
# to authenticated service accounts (ClusterRole system:service-account-issuer-discovery).
SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
# Asymmetric only: a JWKS holds public keys, and an HMAC or "none" token proves nothing.
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
LEEWAY_SECONDS = 30

Endpoint = Callable[[Request], Awaitable[Response]]


class SenderTokenError(Exception):
    """The delivery's bearer token is missing or does not prove it came from the cluster's bus."""


class KeysUnavailableError(Exception):
    """The issuer's keys could not be fetched: the sender may be fine, so the bus should retry."""


@dataclass(frozen=True)
class OidcSettings:
    """The audience this subscriber expects, the issuer that signs, and where its keys are."""

    audience: str
    issuer: str
    jwks_url: str = DEFAULT_JWKS_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings | None:
        """The settings from BOTLESS_KNATIVE_OIDC_*, or None when no audience is set (the check is off)."""
        audience = env.get("BOTLESS_KNATIVE_OIDC_AUDIENCE", "").strip()
        if not audience:
            return None
        issuer = env.get("BOTLESS_KNATIVE_OIDC_ISSUER", "").strip()
        if not issuer:
            raise ConfigurationError(
                "BOTLESS_KNATIVE_OIDC_AUDIENCE is set but BOTLESS_KNATIVE_OIDC_ISSUER is not: set it to the "
                "cluster's service-account issuer (kubectl get --raw /.well-known/openid-configuration, its "
                '"issuer")')
        jwks_url = env.get("BOTLESS_KNATIVE_OIDC_JWKS_URL", "").strip() or DEFAULT_JWKS_URL
        if not jwks_url.startswith(("https://", "http://")):
            raise ConfigurationError(f"BOTLESS_KNATIVE_OIDC_JWKS_URL={jwks_url!r} is not an http(s) URL")
        return cls(audience=audience, issuer=issuer, jwks_url=jwks_url)


class SenderVerifier:
    """Checks `Authorization: Bearer <JWT>`: signature (the issuer's JWKS), audience, issuer, expiry."""

    def __init__(self, settings: OidcSettings, *, ssl_context: ssl.SSLContext | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self._ssl_context = ssl_context
        self._headers = dict(headers) if headers is not None else None
        self._keys: Any = None

    def _client(self) -> Any:
        if self._keys is None:
            import jwt  # here: a Service without an audience never pays for PyJWT and cryptography

            ssl_context, headers = self._ssl_context, self._headers
            if headers is None and self.settings.jwks_url.startswith("https://kubernetes.default.svc"):
                ssl_context, headers = _in_cluster()
            # The key set is cached for 5 minutes; an unknown key id fetches it again (rotation).
            self._keys = jwt.PyJWKClient(self.settings.jwks_url, headers=headers or {}, timeout=5,
                                         ssl_context=ssl_context, lifespan=300)
        return self._keys

    def verify(self, authorization: str) -> dict[str, Any]:
        """The token's claims; SenderTokenError when it proves nothing, KeysUnavailableError when unsure."""
        import jwt

        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SenderTokenError("no Authorization: Bearer <token> from the Broker (is authentication-oidc on?)")
        try:
            key = self._client().get_signing_key_from_jwt(token.strip())
            return jwt.decode(token.strip(), key.key, algorithms=ALGORITHMS, audience=self.settings.audience,
                              issuer=self.settings.issuer, leeway=LEEWAY_SECONDS,
                              options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWKClientConnectionError as error:
            raise KeysUnavailableError(f"cannot fetch the issuer's keys from {self.settings.jwks_url}: "
                                       f"{error}") from None
        except jwt.PyJWTError as error:  # bad signature, unknown key, audience, issuer, expiry, shape
            raise SenderTokenError(f"sender token refused: {type(error).__name__}: {error}") from None


def _in_cluster() -> tuple[ssl.SSLContext | None, dict[str, str]]:
    token_file, ca_file = SERVICE_ACCOUNT / "token", SERVICE_ACCOUNT / "ca.crt"
    if not token_file.is_file():
        return None, {}
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file.is_file() else None
    return context, {"Authorization": f"Bearer {token_file.read_text().strip()}"}


def verifier_from_env(env: Mapping[str, str]) -> SenderVerifier | None:
    """The verifier BOTLESS_KNATIVE_OIDC_* describe, or None when the check is off."""
    settings = OidcSettings.from_env(env)
    return SenderVerifier(settings) if settings else None


def require_sender(verifier: SenderVerifier | None, endpoint: Endpoint, role: str) -> Endpoint:
    """`endpoint`, answered 401 (no retry helps) without a valid token, 503 when the keys are unreachable."""
    if verifier is None:
        return endpoint

    async def checked(request: Request) -> Response:
        try:
            # PyJWKClient fetches with urllib (blocking): off the event loop.
            await asyncio.to_thread(verifier.verify, request.headers.get("authorization", ""))
        except SenderTokenError as error:
            logger.warning(json.dumps({"role": role, "outcome": "rejected", "reason": str(error)}))
            return JSONResponse({"error": str(error)}, status_code=401, headers={"www-authenticate": "Bearer"})
        except KeysUnavailableError as error:
            logger.error(json.dumps({"role": role, "outcome": "keys-unavailable", "reason": str(error)}))
            return JSONResponse({"error": str(error)}, status_code=503)
        return await endpoint(request)

    return checked
