"""SSM Parameter Store's GetParametersByPath as signed HTTPS calls: the init phase reads the chat secrets
without importing boto3 (providers/aws/sigv4.py says why).

The wire format is SSM's JSON protocol (`X-Amz-Target: AmazonSSM.GetParametersByPath`,
`application/x-amz-json-1.1`); errors come back as `{"__type": ..., "message": ...}`. The
endpoint is botocore's: AWS_ENDPOINT_URL_SSM, else AWS_ENDPOINT_URL (moto in tests), else
the region's. Credentials come from the environment (Lambda sets the role's there); without
them, botocore's own credential chain (a profile, a container, instance metadata) finds them.
Like the boto3 clients (providers/aws/clients.py), a call gets two attempts and short timeouts.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping

from providers.aws.sigv4 import AwsCredentials, sign

TARGET = "AmazonSSM.GetParametersByPath"
ATTEMPTS = 2
TIMEOUT_SECONDS = 3.0
# Worth a second attempt: the service was busy or failed, not the request.
_RETRIED_CODES = frozenset({"ThrottlingException", "InternalServerError", "ServiceUnavailable"})
# Called with each page SSM answered (one billed API call): `botless cost` counts the calls
# and the SecureStrings (each a KMS decrypt) there (tooling/costing/invokers/aws_lambda.py).
PAGE_OBSERVERS: list[Callable[[Mapping[str, object]], None]] = []


class SsmRefusedError(RuntimeError):
    """SSM answered with an error: `code` (e.g. AccessDeniedException) and its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SsmUnreachableError(RuntimeError):
    """No answer from SSM (no region or credentials, the endpoint down, a timeout)."""


def region_of(env: Mapping[str, str]) -> str:
    """The function's region (AWS_REGION, which Lambda sets, else AWS_DEFAULT_REGION)."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
    if not region:
        raise SsmUnreachableError("no region: set AWS_REGION (Lambda sets it)")
    return region


def endpoint_of(env: Mapping[str, str], region: str) -> str:
    """SSM's URL for `region`, or the override botocore would honour too."""
    override = env.get("AWS_ENDPOINT_URL_SSM") or env.get("AWS_ENDPOINT_URL")
    if override:
        return override.rstrip("/") + "/"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://ssm.{region}.{suffix}/"


def credentials_of(env: Mapping[str, str]) -> AwsCredentials:
    """The role's credentials from `env`; else botocore's chain (imported only then)."""
    key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
    if key and secret:
        return AwsCredentials(key, secret, env.get("AWS_SESSION_TOKEN", ""))
    import botocore.session

    found = botocore.session.get_session().get_credentials()
    if found is None:
        raise SsmUnreachableError("no AWS credentials in the environment or botocore's credential chain")
    frozen = found.get_frozen_credentials()
    return AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token or "")


def parameters_by_path(path: str, env: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(full name, value) of each parameter directly under `path`, decrypted, every page.

    Raises SsmRefusedError or SsmUnreachableError.
    """
    region = region_of(env)
    url = endpoint_of(env, region)
    credentials = credentials_of(env)
    token: str | None = None
    while True:
        request: dict[str, object] = {"Path": path, "Recursive": False, "WithDecryption": True}
        if token:
            request["NextToken"] = token
        page = _call(url, json.dumps(request).encode(), credentials, region)
        for observe in PAGE_OBSERVERS:
            observe(page)
        parameters = page.get("Parameters", [])
        for parameter in parameters if isinstance(parameters, list) else []:
            yield str(parameter["Name"]), str(parameter["Value"])
        next_token = page.get("NextToken")
        if not isinstance(next_token, str) or not next_token:
            return
        token = next_token


def _call(url: str, body: bytes, credentials: AwsCredentials, region: str) -> dict[str, object]:
    for attempt in range(1, ATTEMPTS + 1):
        headers = sign(url, body, {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET},
                       credentials, region=region, service="ssm")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"),
                                        timeout=TIMEOUT_SECONDS) as answer:
                page: dict[str, object] = json.loads(answer.read())
                return page
        except urllib.error.HTTPError as error:
            refused = _refusal(error)
            if attempt == ATTEMPTS or (error.code < 500 and refused.code not in _RETRIED_CODES):
                raise refused from None
        except (OSError, ValueError) as error:  # refused, reset, timed out; a body that is no JSON
            if attempt == ATTEMPTS:
                raise SsmUnreachableError(f"{type(error).__name__}: {error}") from None
    raise AssertionError("unreachable")  # the loop returns or raises


def _refusal(error: urllib.error.HTTPError) -> SsmRefusedError:
    # SSM answers JSON (`__type`, `message`) and names the code in x-amzn-ErrorType too; an
    # authorization failure may come as the query protocol's XML ErrorResponse (moto's does).
    raw = error.read() or b""
    code, message = "", ""
    try:
        answer = json.loads(raw)
        if isinstance(answer, dict):
            code = str(answer.get("__type") or "").rpartition("#")[2]
            message = str(answer.get("message") or answer.get("Message") or "")
    except ValueError:
        code, message = _xml_error(raw)
    code = code or (error.headers.get("x-amzn-ErrorType") or "").split(":")[0] or f"HTTP {error.code}"
    return SsmRefusedError(code, message or str(error.reason))


def _xml_error(raw: bytes) -> tuple[str, str]:
    from xml.etree import ElementTree  # only for an error answer

    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        return "", ""
    found = {element.tag.rpartition("}")[2]: (element.text or "") for element in root.iter()}
    return found.get("Code", ""), found.get("Message", "")
