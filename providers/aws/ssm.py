"""SSM Parameter Store's GetParametersByPath, through providers/aws/json_api.py: the init phase reads
the chat secrets without importing boto3.

The wire format is SSM's JSON protocol (`X-Amz-Target: AmazonSSM.GetParametersByPath`,
`application/x-amz-json-1.1`); every page is one billed API call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from providers.aws.json_api import AwsJsonApi

# Called with each page SSM answered (one API call): `botless cost` counts the calls and
# the SecureStrings (each a KMS decrypt) there (tooling/costing/invokers/aws_lambda.py).
PAGE_OBSERVERS: list[Callable[[Mapping[str, object]], None]] = []


def parameters_by_path(path: str, env: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(full name, value) of each parameter directly under `path`, decrypted, every page.

    Raises json_api's AwsApiError (SSM refused) or AwsUnreachableError.
    """
    api = AwsJsonApi("ssm", "AmazonSSM", "application/x-amz-json-1.1", env)
    token = ""
    while True:
        request: dict[str, object] = {"Path": path, "Recursive": False, "WithDecryption": True}
        if token:
            request["NextToken"] = token
        page = api.call("GetParametersByPath", request)
        for observe in PAGE_OBSERVERS:
            observe(page)
        parameters = page.get("Parameters", [])
        for parameter in parameters if isinstance(parameters, list) else []:
            yield str(parameter["Name"]), str(parameter["Value"])
        next_token = page.get("NextToken")
        if not isinstance(next_token, str) or not next_token:
            return
        token = next_token
