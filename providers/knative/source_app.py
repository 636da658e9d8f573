"""A connection-mode chat source on Knative: its messages go to K_SINK, its replies come to POST /.

The source's Deployment (or ContainerSource) is bound to the Broker, so each chat message
is POSTed to K_SINK like the receive role's. A Trigger on `botless.bot.response` for the
source's platform brings the replies back here, where the respond role posts them on the
connection this process holds: claimed once per event in the shared store (a Broker
redelivery posts nothing twice), a failure answered 5xx so the Broker retries. `POST /`
checks the Broker's OIDC sender token when BOTLESS_KNATIVE_OIDC_AUDIENCE is set.
"""

from __future__ import annotations

from cloudevents.http import CloudEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.bot import Bot
from core.sources.base import ChatSource
from providers.knative.oidc import SenderVerifier, require_sender
from providers.knative.reply import reply_endpoint
from providers.runtime import run_role

# The role this face runs: the replies a source takes back are respond's events.
RESPONSE_ROLE = "respond"


def build_source_app(bot: Bot, source: ChatSource, verifier: SenderVerifier | None = None) -> Starlette:
    """`GET /healthz` and `POST /` (the replies for `source`'s platform) of a source's Service."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "source": source.platform})

    async def handle(event: CloudEvent) -> list[CloudEvent]:
        return await run_role(bot, RESPONSE_ROLE, event, None)

    endpoint = reply_endpoint(RESPONSE_ROLE, handle, limit=bot.settings.max_body_bytes)
    return Starlette(routes=[
        Route("/healthz", healthz, methods=["GET"]),
        Route("/", require_sender(verifier, endpoint, f"{source.platform}-source"), methods=["POST"]),
    ])
