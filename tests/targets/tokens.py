"""Signing keys made in the test and an issuer serving their public half on 127.0.0.1.

Tokens are really signed (PyJWT, RS256) and really verified by the code under test, which
fetches the keys over HTTP as it does from the cluster's or Google's issuer. The issuer
serves them as a JWKS (`/jwks`, Kubernetes' `/openid/v1/jwks` shape) and as Google's
PEM-certificate map (`/certs`, the shape of googleapis.com/oauth2/v1/certs).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tooling.loopback import Answer, Request, serving


@dataclass
class SigningKey:
    """An RSA key pair with a key id; `sign` makes a token, `jwk` and `pem_cert` publish it."""

    kid: str
    private: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": kid or self.kid})

    def jwk(self) -> dict[str, Any]:
        key = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def pem_cert(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.kid)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.private.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
                .sign(self.private, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM).decode()


def claims(issuer: str, audience: str, *, lifetime: int = 600, **extra: Any) -> dict[str, Any]:
    """The claims of a fresh token (`lifetime` < 0: expired that long ago)."""
    now = int(time.time())
    issued = now if lifetime > 0 else now + 2 * lifetime
    return {"iss": issuer, "aud": audience, "sub": "system:serviceaccount:bots:oidc-sender",
            "iat": issued, "nbf": issued, "exp": now + lifetime, **extra}


@contextmanager
def issuer(*keys: SigningKey) -> Iterator[str]:
    """Serve the keys' JWKS on `<url>/jwks` and their PEM certificates on `<url>/certs`; yields the base URL."""
    documents = {"/jwks": {"keys": [key.jwk() for key in keys]},
                 "/certs": {key.kid: key.pem_cert() for key in keys}}

    def answer(request: Request) -> Answer:
        document = documents.get(request.path)
        return Answer.json(document, 200 if document is not None else 404)

    with serving(answer) as url:
        yield url
