"""How each platform loads a function and calls it, as child code (bench/child.py runs it).

`load` is the cold start: what the platform does before the first event (the runtime
imports the handler; functions-framework builds its Flask app; the Azure worker indexes
function_app.py; uvicorn imports the ASGI app and runs its lifespan startup). `call`
defines `answer(headers, body, event) -> (status, body)`: one event the way the platform
delivers it (a Function URL event through the handler; a request through Flask's test
client, as the framework's WSGI server would hand it; an azure.functions.HttpRequest; an
ASGI http scope on one event loop).
"""

from __future__ import annotations

from bench.fixture import PATH


def lambda_load(handler: str) -> str:
    module, _, name = handler.rpartition(".")
    return f"import importlib\nhandler = getattr(importlib.import_module({module!r}), {name!r})"


# The runtime's part, before the first event: AWS's runtime (awslambdaric) and Azure's Python
# worker put one handler on the root logger and leave the root at WARNING, so whatever a
# contestant logs per event at that level or above (Botless: one INFO line per event, which it
# lets through) is written, as it is when deployed.
_RUNTIME_LOG_HANDLER = """
import logging, sys
logging.getLogger().addHandler(logging.StreamHandler(sys.stdout))
logging.getLogger().setLevel(logging.WARNING)
"""

# `event` is the request as a Function URL event's JSON, decoded afresh per call as the runtime does.
LAMBDA_CALL = _RUNTIME_LOG_HANDLER + '''
import json
class _Context:
    function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "bench-request"; log_group_name = "/aws/lambda/bench"; log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 3000
def answer(headers, body, event):
    out = handler(json.loads(event), _Context())  # the runtime decodes each event's JSON
    return out["statusCode"], (out.get("body") or "").encode()
'''


def gcf_load(target: str, source: str) -> str:
    return f"from functions_framework import create_app\napp = create_app({target!r}, {source!r})"


def gcf_call(asgi: bool) -> str:
    """functions-framework's app is Flask (WSGI) for a plain function, Starlette (ASGI) for an `aio` one."""
    return _ASGI_RUNTIME + ASGI_CALL if asgi else _WSGI_CALL


# gunicorn's part: a WSGI environ per request, the answer's status and body.
_WSGI_CALL = f'''
import io
def answer(headers, body, event):
    environ = {{"REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": {PATH!r}, "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "127.0.0.1", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
               "wsgi.multiprocess": False, "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
               "HTTP_HOST": "127.0.0.1:8080",
               **{{("CONTENT_TYPE" if k == "content-type" else "HTTP_" + k.upper().replace("-", "_")): v
                  for k, v in headers.items()}}}}
    got = {{}}
    def start_response(status, response_headers, exc_info=None):
        got["status"] = int(status.split()[0])
    chunks = app(environ, start_response)
    said = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return got["status"], said
'''

AZURE_LOAD = '''
import azure.functions as func
import function_app
_functions = {f.get_trigger().get_binding_name(): f for f in function_app.app.get_functions()}
'''

AZURE_CALL = _RUNTIME_LOG_HANDLER + f'''
import asyncio, inspect, uuid
_http = _functions["httpTrigger"]
_user = _http.get_user_function()
_wants_context = "context" in inspect.signature(_user).parameters
_loop = asyncio.new_event_loop()  # the worker runs async functions on its one loop
class _Context:  # what the worker passes as `context`
    function_name = _http.get_function_name(); invocation_id = str(uuid.uuid4())
    function_directory = sys.path[0]; trace_context = retry_context = thread_local_storage = None
def answer(headers, body, event):
    request = func.HttpRequest(method="POST", url="https://bench.azurewebsites.net" + {PATH!r}, headers=headers,
                               params={{}}, route_params={{"path": {PATH[1:]!r}}}, body=body)
    got = _user(request, _Context()) if _wants_context else _user(request)
    if asyncio.iscoroutine(got):
        got = _loop.run_until_complete(got)
    return got.status_code, got.get_body()
'''


def asgi_load(module: str) -> str:
    return f"import importlib\napp = importlib.import_module({module!r}).app\n" + _ASGI_RUNTIME


# uvicorn's part: the lifespan startup, then each request as an http scope on one loop.
_ASGI_RUNTIME = '''
import asyncio
_loop = asyncio.new_event_loop()
_state = {}
async def _start():
    inbox = asyncio.Queue()
    started = _loop.create_future()
    async def receive():
        return await inbox.get()
    async def send(message):
        if not started.done():
            started.set_result(message["type"])
    task = _loop.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": _state}, receive, send))
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.wait([started, task], return_when=asyncio.FIRST_COMPLETED)
    if started.done() and started.result() == "lifespan.startup.failed":
        raise RuntimeError("lifespan startup failed")
    return task
_lifespan_task = _loop.run_until_complete(_start())
'''

ASGI_CALL = f'''
def answer(headers, body, event):
    scope = {{"type": "http", "asgi": {{"version": "3.0"}}, "http_version": "1.1", "method": "POST",
              "scheme": "http", "path": {PATH!r}, "raw_path": {PATH.encode()!r}, "query_string": b"",
              "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
              "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
                         + [(b"host", b"127.0.0.1:8080"), (b"content-length", str(len(body)).encode())],
              "state": dict(_state)}}
    pending = [{{"type": "http.request", "body": body, "more_body": False}}]
    finished = asyncio.Event()
    got = {{"status": 0, "body": b""}}
    async def receive():
        if pending:
            return pending.pop()
        await finished.wait()  # as a server does: the client is gone once the answer is out
        return {{"type": "http.disconnect"}}
    async def send(message):
        if message["type"] == "http.response.start":
            got["status"] = message["status"]
        elif message["type"] == "http.response.body":
            got["body"] += message.get("body", b"")
            if not message.get("more_body"):
                finished.set()
    _loop.run_until_complete(app(scope, receive, send))
    return got["status"], got["body"]
'''
