"""boto3 clients, created on first use and kept for the life of the instance.

Only SQS still goes through boto3 (providers/aws/redelivery.py: a rate-limited record's
visibility change, a dead letter), off the path of a message. SSM, DynamoDB, EventBridge
and mono's self-invoke are signed standard-library calls (providers/aws/json_api.py).
boto3 costs a few hundred milliseconds to import, so it is imported here, when a call
first needs it, never at a cold start. `AWS_ENDPOINT_URL` (honoured by botocore itself)
points the clients at moto in tests.
"""

from __future__ import annotations

import functools
from typing import Any

# The receive and mono roles call AWS while Slack and Discord wait (3 s): fail fast
# and answer 503 (the platform retries) rather than time out in silence.
TIMEOUTS = {"connect_timeout": 2, "read_timeout": 3, "retries": {"mode": "standard", "max_attempts": 2}}


@functools.cache
def client(service: str) -> Any:
    """The process's boto3 client for `service` (region and credentials from the environment)."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(**TIMEOUTS))
