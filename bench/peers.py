"""The peers a user would pick instead of Botless: each one file, written into a folder of its own.

Every peer answers the fixture's `/uptime` in the ack; bolt-python and the floor also
post a reply to an `app_mention` with chat.postMessage (bench/posted.py). The bare ones
(functions-framework and its `aio` mode, mangum + Starlette, mangum alone, Azure v2, the
stdlib floor) check the signature with fixture.VERIFY; bolt-python checks it itself. Each
folder is what the user would deploy: for the Lambda peers, the handler plus its third-party
packages copied in (`vendor`), so they run with the folder alone on the path, as Botless's
zip does.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from bench.fixture import ANSWER_TEXT, VERIFY

BOLT_APP = f'''
import os
from slack_bolt import App
from slack_sdk import WebClient
# Bolt calls auth.test once, at the first request: the stand-in Slack API answers it (bench/standin.py).
client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"].rstrip("/") + "/")
app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client, token_verification_enabled=False,
          process_before_response=True)
@app.command("/uptime")
def uptime(ack):
    ack(response_type="ephemeral", text={ANSWER_TEXT!r})
@app.event("app_mention")
def mention(say):
    say({ANSWER_TEXT!r})  # chat.postMessage to the stand-in, inside the invocation (process_before_response)
'''

BOLT_LAMBDA = BOLT_APP + '''
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
slack_handler = SlackRequestHandler(app=app)
def handler(event, context):
    return slack_handler.handle(event, context)
'''

BOLT_GCF = BOLT_APP + '''
from slack_bolt.adapter.google_cloud_functions import SlackRequestHandler
slack_handler = SlackRequestHandler(app)
def slack(request):
    return slack_handler.handle(request)
'''

FLOOR = VERIFY + '''
def _post(callback):
    # Imported at the first mention only: the slash command's cold figures stay the floor's.
    import os, urllib.request
    arguments = {"channel": callback["event"]["channel"], "text": _json.loads(ANSWER)["text"]}
    request = urllib.request.Request(os.environ["SLACK_API_URL"].rstrip("/") + "/chat.postMessage",
                                     data=_json.dumps(arguments).encode(),
                                     headers={"content-type": "application/json; charset=utf-8",
                                              "authorization": "Bearer " + os.environ["SLACK_BOT_TOKEN"]})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return _json.loads(answer.read()).get("ok") is True
def handler(event, context):
    body = event["body"].encode()
    if not verified(event["headers"], body):
        return {"statusCode": 401, "body": ""}
    if event["headers"].get("content-type", "").startswith("application/json"):  # an Events API callback
        return {"statusCode": 200 if _post(_json.loads(body)) else 502, "body": ""}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": ANSWER.decode()}
'''

STARLETTE = VERIFY + '''
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
async def slack(request):
    body = await request.body()
    if not verified(request.headers, body):
        return Response(status_code=401)
    return Response(ANSWER, media_type="application/json")
app = Starlette(routes=[Route("/slack/events", slack, methods=["POST"])])
'''

MANGUM = STARLETTE + '''
from mangum import Mangum
handler = Mangum(app, lifespan="off")
'''

# The floor under the Lambda HTTP adapter the design mandates: mangum with no framework and no bot.
MANGUM_BARE = VERIFY + '''
from mangum import Mangum
async def app(scope, receive, send):
    body, more = b"", True
    while more:
        message = await receive()
        body, more = body + message.get("body", b""), message.get("more_body", False)
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    ok = verified(headers, body)
    await send({"type": "http.response.start", "status": 200 if ok else 401,
                "headers": [(b"content-type", b"application/json")] if ok else []})
    await send({"type": "http.response.body", "body": ANSWER if ok else b""})
handler = Mangum(app, lifespan="off")
'''

FUNCTIONS_FRAMEWORK = VERIFY + '''
def slack(request):
    body = request.get_data()
    if not verified(request.headers, body):
        return ("", 401)
    return (ANSWER, 200, {"content-type": "application/json"})
'''

# The floor under an `aio` function: functions-framework's ASGI mode (Starlette, on top of Flask), no bot.
FUNCTIONS_FRAMEWORK_AIO = VERIFY + '''
from functions_framework import aio
from starlette.responses import Response
@aio.http
async def slack(request):
    body = await request.body()
    if not verified(request.headers, body):
        return Response(status_code=401)
    return Response(ANSWER, media_type="application/json")
'''

AZURE = VERIFY + '''
import azure.functions as func
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
@app.route(route="slack/events", methods=["POST"])
def slack(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    if not verified(req.headers, body):
        return func.HttpResponse(status_code=401)
    return func.HttpResponse(ANSWER, mimetype="application/json")
'''


def write(folder: Path, filename: str, source: str, *vendored: str) -> Path:
    """`folder` holding `filename` and copies of the `vendored` top-level modules; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_text(source)
    vendor(folder, *vendored)
    return folder


def vendor(folder: Path, *modules: str) -> None:
    """Copy each top-level module (package folder or .py file) of this venv into `folder`."""
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed: pip install -e '.[bench]'")
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, folder / name, dirs_exist_ok=True)
        else:
            shutil.copy(origin, folder / origin.name)
