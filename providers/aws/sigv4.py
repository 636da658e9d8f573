"""AWS Signature Version 4 for one POST (a JSON-protocol call, or a REST one such as Lambda's Invoke), without boto3.

Importing botocore (its compat layer pulls in urllib3 and more) and building an SSM client
cost a cold start some 200 ms, for a single request. The signing algorithm is AWS's
published one (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html);
tests/targets/test_aws_sigv4.py holds it equal to botocore's SigV4Auth for the same request,
and moto, with IAM authentication on, checks the signature of every call it is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class AwsCredentials:
    """An access key, its secret and (for a role, as on Lambda) the session token."""

    access_key: str
    secret_key: str
    token: str = ""

    def __repr__(self) -> str:
        return f"AwsCredentials(access_key={self.access_key!r}, secret_key=***, token={'***' if self.token else ''})"


def sign(url: str, body: bytes, headers: Mapping[str, str], credentials: AwsCredentials, *, region: str,
         service: str, amz_date: str | None = None) -> dict[str, str]:
    """`headers` plus X-Amz-Date, X-Amz-Security-Token and Authorization for a POST of `body` to `url`.

    Every header given is signed, and the host of `url` (with its port, as sent). The path and
    query of `url` are as sent (percent-encoded); the canonical request encodes them as AWS's
    services other than S3 expect: the path once more, the query's names and values sorted.
    `amz_date` (YYYYMMDDTHHMMSSZ, UTC) defaults to now.
    """
    stamp = amz_date or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    signed = dict(headers)
    signed["X-Amz-Date"] = stamp
    if credentials.token:
        signed["X-Amz-Security-Token"] = credentials.token
    parts = urlsplit(url)
    canonical = {name.lower(): " ".join(value.split()) for name, value in signed.items()}
    canonical["host"] = _host(parts.scheme, parts.netloc)
    names = sorted(canonical)
    request = "\n".join([
        "POST", quote(parts.path or "/", safe="/~"), _canonical_query(parts.query),
        "".join(f"{name}:{canonical[name]}\n" for name in names),
        ";".join(names),
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + credentials.secret_key).encode()
    for part in (stamp[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    signed["Authorization"] = (f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
                               f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return signed


def _canonical_query(query: str) -> str:
    # Each name and value URI-encoded (only A-Z a-z 0-9 - _ . ~ kept), sorted by name, then value.
    pairs = (pair.partition("=") for pair in query.split("&") if pair)
    encoded = sorted((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~"))
                     for name, _, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def _host(scheme: str, netloc: str) -> str:
    # The Host header an HTTP client sends: the port only when it is not the scheme's default.
    host = netloc.rpartition("@")[2]
    default = {"https": ":443", "http": ":80"}.get(scheme, "")
    return host[: -len(default)] if default and host.endswith(default) else host
