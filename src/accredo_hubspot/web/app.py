"""The connector's ASGI app: HubSpot's webhooks in, a health check out."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accredo_hubspot.web.webhooks import WebhookReceiver

WEBHOOK_PATH = "/webhooks/hubspot"
HEALTH_PATH = "/healthz"


def create_app(receiver: WebhookReceiver) -> Starlette:
    """``POST /webhooks/hubspot`` and ``GET /healthz``."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "webhooks": receiver.enabled})

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, receiver.handle, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
        ]
    )
