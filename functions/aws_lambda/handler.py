"""AWS Lambda entrypoints: `functions.aws_lambda.handler.<role>` (or `.handler` + BOTLESS_ROLE).

receive, mono: Function URL / HTTP API v2 / REST API v1 events (through mangum).
parse, command, respond: EventBridge events, or SQS batches of them.
"""

from providers.aws.lambda_app import lambda_handler, start

start()  # the BOTLESS_ROLE function is built in the init phase: bad settings fail there

handler = lambda_handler()
receive = lambda_handler("receive")
mono = lambda_handler("mono")
parse = lambda_handler("parse")
command = lambda_handler("command")
respond = lambda_handler("respond")
