"""AWS's JSON-protocol services (SSM, DynamoDB, EventBridge, SQS) and Lambda's REST-JSON Invoke called
with the standard library: signed POSTs on a kept-alive connection, no boto3 on the paths a
message, a deferral, a redelivery or a cold start takes: the runtime imports no boto3.

boto3 costs a cold start some 200 ms (botocore's import, the service model, the client) and
each call about 0.9 ms of CPU on this machine, more than Botless's whole warm message
(bench/README.md). These calls are a handful of fixed operations, so each is one
SigV4-signed POST (providers/aws/sigv4.py): of `{"X-Amz-Target": <prefix>.<Operation>}` to the
endpoint (`call`), or of a body to a path and query (`post`, the REST-JSON protocol).

A 3 s timeout and 3 attempts in all, the later ones after a lost connection, a 5xx or a
throttling error (the same request resent: callers make their writes safe to resend), as
botocore's standard retry mode. The endpoint is botocore's: AWS_ENDPOINT_URL_<SERVICE>,
else AWS_ENDPOINT_URL (moto in tests), else the region's. Credentials come from the
environment (Lambda sets the role's there); without them, botocore's credential chain.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

if TYPE_CHECKING:
    import http.client

    from providers.aws.sigv4 import AwsCredentials

ATTEMPTS = 3
TIMEOUT_SECONDS = 3.0
# Worth another attempt: the service was busy or failed, not the request.
RETRIED_CODES = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException",
                           "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable",
                           "TooManyRequestsException"})  # Lambda's throttling
# Called with (service, operation, body) before each request sent: `botless cost` and the tests count them.
REQUEST_OBSERVERS: list[Callable[[str, str, bytes], None]] = []


class AwsApiError(RuntimeError):
    """The service answered with an error: `code` (e.g. ConditionalCheckFailedException), its
    message, and the whole answer (DynamoDB puts the refusing item there)."""

    def __init__(self, code: str, message: str, answer: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.answer: Mapping[str, Any] = answer or {}


class AwsUnreachableError(RuntimeError):
    """No answer (no region or credentials, the endpoint down, every attempt lost or timed out)."""


def region_of(env: Mapping[str, str], missing: str | None = None) -> str:
    """The function's region (AWS_REGION, which Lambda sets, else AWS_DEFAULT_REGION); else `missing`, if given."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or missing or ""
    if not region:
        raise AwsUnreachableError("no region: set AWS_REGION (Lambda sets it)")
    return region


def endpoint_of(service: str, env: Mapping[str, str], region: str) -> str:
    """`service`'s URL for `region`, or the override botocore would honour too."""
    override = env.get(f"AWS_ENDPOINT_URL_{service.upper()}") or env.get("AWS_ENDPOINT_URL")
    if override:
        return override.rstrip("/") + "/"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{service}.{region}.{suffix}/"


def credentials_of(env: Mapping[str, str]) -> AwsCredentials:
    """The role's credentials from `env`; else botocore's chain (imported only then)."""
    from providers.aws.sigv4 import AwsCredentials

    key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if key and secret:
        return AwsCredentials(key, secret, env.get("AWS_SESSION_TOKEN", ""))
    import botocore.session

    found = botocore.session.get_session().get_credentials()
    if found is None:
        raise AwsUnreachableError("no AWS credentials in the environment or botocore's credential chain")
    frozen = found.get_frozen_credentials()
    return AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token or "")


class AwsJsonApi:
    """One service (`ssm`, `dynamodb`, `events`, `lambda`), its settings read from the process's environment."""

    def __init__(self, service: str, target_prefix: str = "", content_type: str = "application/json",
                 env: Mapping[str, str] | None = None) -> None:
        self.service = service
        self.target_prefix = target_prefix  # the JSON protocol's; a REST service has none
        self.content_type = content_type
        self._env = env
        self._local = threading.local()  # one kept-alive connection per thread (dedupe runs in threads)

    def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The service's answer to `operation` (JSON protocol); AwsApiError or AwsUnreachableError."""
        headers = {"Content-Type": self.content_type, "X-Amz-Target": f"{self.target_prefix}.{operation}"}
        status, raw = self._request(operation, "", json.dumps(request).encode(), headers)
        try:
            answer: dict[str, Any] = json.loads(raw or b"{}")
        except ValueError:
            raise AwsUnreachableError(f"{self.service} answered {status} with no JSON") from None
        return answer

    def post(self, operation: str, path: str, body: bytes, headers: Mapping[str, str] | None = None,
             query: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        """REST-JSON: POST `body` to `path` (its segments percent-encoded) with `query`; the
        status (below 300) and the raw answer. `operation` names the call to observers."""
        target = path + (f"?{urlencode(query, quote_via=quote)}" if query else "")
        return self._request(operation, target, body, {"Content-Type": self.content_type, **(headers or {})})

    def _request(self, operation: str, target: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        # The attempts of one request to the endpoint, or to `target` (a path and query) on it.
        # On the first call, not at init (a cold start with no AWS call never loads them):
        # http.client pulls in email's parsers, and the signer is a dataclass to build.
        import http.client

        from providers.aws.sigv4 import sign
        env = os.environ if self._env is None else self._env
        region = region_of(env)
        url = endpoint_of(self.service, env, region)
        if target:
            url = url.rstrip("/") + target
        credentials = credentials_of(env)
        for attempt in range(1, ATTEMPTS + 1):
            for observe in REQUEST_OBSERVERS:
                observe(self.service, operation, body)
            signed = sign(url, body, headers, credentials, region=region, service=self.service)
            try:
                status, raw, error_type = self._post(url, body, signed)
            except (OSError, http.client.HTTPException) as error:  # refused, reset, lost, timed out
                self._drop()
                if attempt == ATTEMPTS:
                    raise AwsUnreachableError(f"{type(error).__name__}: {error}") from None
                continue
            if status < 300:
                return status, raw
            refused = refusal(status, raw, error_type)
            if attempt == ATTEMPTS or (status < 500 and refused.code not in RETRIED_CODES):
                raise refused
        raise AssertionError("unreachable")  # the loop returns or raises

    def _post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes, str]:
        import http.client

        parts = urlsplit(url)
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "netloc", None) != parts.netloc:
            self._drop()
            kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            connection = kind(parts.netloc, timeout=TIMEOUT_SECONDS)
            self._local.connection, self._local.netloc = connection, parts.netloc
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body,
                           dict(headers))
        answer = connection.getresponse()
        raw = answer.read()
        if answer.will_close:
            self._drop()
        return answer.status, raw, answer.getheader("x-amzn-ErrorType", "")

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None


def refusal(status: int, raw: bytes, error_type: str = "") -> AwsApiError:
    """The error in an answer: JSON (`__type`, `message`), else x-amzn-ErrorType, else the
    query protocol's XML ErrorResponse (what moto answers an authorization failure with)."""
    code, message, answer = "", "", {}
    try:
        parsed = json.loads(raw)
        if isinstance(parsed, dict):
            answer = parsed
            code = str(parsed.get("__type") or "").rpartition("#")[2]
            message = str(parsed.get("message") or parsed.get("Message") or "")
    except ValueError:
        code, message = _xml_error(raw)
    code = code or error_type.split(":")[0] or f"HTTP {status}"
    return AwsApiError(code, message or f"HTTP {status}", answer)


def _xml_error(raw: bytes) -> tuple[str, str]:
    from xml.etree import ElementTree  # only for an error answer

    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        return "", ""
    found = {element.tag.rpartition("}")[2]: (element.text or "") for element in root.iter()}
    return found.get("Code", ""), found.get("Message", "")
