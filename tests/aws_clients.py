"""boto3 clients for the tests' own setup and checks against moto: tables, queues, buses, functions.

Botless itself imports no boto3: SSM, DynamoDB, EventBridge, SQS and mono's self-invoke
are SigV4-signed standard-library calls (providers/aws/json_api.py). A test that reads
what those calls did reads it through boto3, the client a user would inspect AWS with.
`AWS_ENDPOINT_URL` (honoured by botocore itself) points the clients at moto.
"""

from __future__ import annotations

import functools
from typing import Any

# Fail fast rather than wait on a moto that is not there.
TIMEOUTS = {"connect_timeout": 2, "read_timeout": 3, "retries": {"mode": "standard", "max_attempts": 2}}


@functools.cache
def client(service: str) -> Any:
    """The boto3 client for `service`, kept for the session (region and credentials from the environment)."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(**TIMEOUTS))
