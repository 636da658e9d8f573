"""Lambda mono as infra/aws_lambda deploys it: secrets from SSM, claims in DynamoDB, both on moto.

Run: python bench/deployed_lambda.py [--rounds 5] [--events 200]
`python -m bench` runs each contestant with nothing but Slack's settings (memory dedupe, the
secrets in the environment). infra/aws_lambda also sets BOTLESS_SSM_PREFIX (the chat secrets
are read in the init phase) and BOTLESS_DEDUPE_TABLE (each webhook's claim is a DynamoDB
conditional write). This runs the shipped zip (`botless package --target aws-lambda
--platform slack`, unpacked, `python -I -S` with the runtime's boto3 beside it) against
moto's server on 127.0.0.1 and prints, per fresh process (medians of --rounds): the init
phase (import, SSM read included), the first answer (its claim included), and the warm
per-message time over --events signed slash commands. moto's own time is in the figures
(it serves in this process), as a real DynamoDB's round trip would be. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import fixture, peers, shipped  # noqa: E402
from bench.contestants import AWS, BOTO3, base_env  # noqa: E402

PREFIX = "/botless-bench/"
TABLE = "botless-bench-dedupe"

# The child: the zip's folder and the runtime's boto3 on the path, as Lambda has them.
CHILD = """
import json, sys, time
task, runtime, events = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
sys.path[:0] = [task, runtime]
started = time.perf_counter()
import functions.aws_lambda.handler as module
imported = time.perf_counter()
first = module.handler(json.loads(events[0]), None)
answered = time.perf_counter()
for event in events[1:]:
    module.handler(json.loads(event), None)
done = time.perf_counter()
assert first["statusCode"] == 200 and "I have been up" in first["body"], first
warm = 1e3 * (done - answered) / (len(events) - 1)
print(json.dumps([1e3 * (imported - started), 1e3 * (answered - imported), warm]))
"""


def events(count: int, round_number: int) -> list[str]:
    """`count` signed slash commands, each with its own trigger_id (a repeat would be a duplicate)."""
    _, body = fixture.slash_command()
    made = []
    for number in range(count):
        own = body.replace(b"trigger_id=13345224609", f"trigger_id={round_number:03d}{number:08d}".encode())
        made.append(json.dumps(fixture.function_url_event(fixture.signed(own), own)))
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=200)
    options = parser.parse_args(argv)
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    clients = dict(endpoint_url=endpoint, region_name=AWS["AWS_REGION"], aws_access_key_id="bench",
                   aws_secret_access_key="bench")
    ssm = boto3.client("ssm", **clients)
    for name, value in (("SLACK_SIGNING_SECRET", fixture.SECRET), ("SLACK_BOT_TOKEN", fixture.TOKEN)):
        ssm.put_parameter(Name=PREFIX + name, Value=value, Type="SecureString", Overwrite=True)
    boto3.client("dynamodb", **clients).create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    env = {name: value for name, value in base_env(**AWS).items() if not name.startswith("SLACK_")}
    env.update(AWS_ENDPOINT_URL=endpoint, BOTLESS_SSM_PREFIX=PREFIX, BOTLESS_DEDUPE_TABLE=TABLE)
    figures: list[list[float]] = []
    try:
        with tempfile.TemporaryDirectory() as work:
            task = shipped.built("aws-lambda", Path(work) / "botless-lambda")
            runtime = Path(work) / "lambda-runtime"
            peers.vendor(runtime, *BOTO3)
            for number in range(options.rounds):
                # The events on stdin: 200 of them are past the kernel's limit for one argument.
                done = subprocess.run([sys.executable, "-I", "-S", "-c", CHILD, str(task), str(runtime)],
                                      input=json.dumps(events(options.events + 1, number)), env=env,
                                      capture_output=True, text=True, timeout=300)
                if done.returncode != 0:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return 1
                figures.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        server.stop()
    init, first, warm = (statistics.median(column) for column in zip(*figures, strict=True))
    print(f"Lambda mono as deployed (SSM secrets, DynamoDB claims on moto), medians of {options.rounds} processes:")
    print(f"  init phase (the handler module's import, the SSM read included): {init:.1f} ms")
    print(f"  first answer (its DynamoDB claim included): {first:.1f} ms")
    print(f"  warm, per message over {options.events}: {warm:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
