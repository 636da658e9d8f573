"""AWS Lambda entrypoints: `functions.aws_lambda.handler.<role>` (or `.handler`), playing BOTLESS_ROLE.

receive, mono: Function URL / HTTP API v2 / REST API v1 events (through mangum).
parse, command, respond: EventBridge events, or SQS batches of them.
"""

import os

from providers.aws.lambda_app import app_from_env, role_handler

# Built once, in the init phase (the chat secrets read from SSM): bad settings fail there.
app = app_from_env(None, os.environ)

handler = app
receive = role_handler(app, "receive")
mono = role_handler(app, "mono")
parse = role_handler(app, "parse")
command = role_handler(app, "command")
respond = role_handler(app, "respond")
