"""The connector's ASGI app: HubSpot's webhooks and Accredo's push hints in; health, readiness,
status and metrics out.

``/status`` and ``/metrics`` show the sync's state (records, errors), so with a status token
they answer only a request carrying ``Authorization: Bearer <token>``; ``run`` refuses to listen
beyond loopback without one. ``/healthz`` and ``/readyz`` are for probes and say nothing of
records.
"""

from __future__ import annotations

import structlog
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from accredo_hubspot.store import StoreError
from accredo_hubspot.web.auth import bearer_matches, unauthorized
from accredo_hubspot.web.hints import HintReceiver
from accredo_hubspot.web.page import render, render_unavailable
from accredo_hubspot.web.status import StatusSource
from accredo_hubspot.web.webhooks import WebhookReceiver

WEBHOOK_PATH = "/webhooks/hubspot"
HINT_PATH = "/hooks/accredo"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
STATUS_PATH = "/status"
METRICS_PATH = "/metrics"

log = structlog.get_logger(__name__)


def create_app(
    receiver: WebhookReceiver,
    status: StatusSource,
    *,
    status_token: str | None,
    hints: HintReceiver | None = None,
) -> Starlette:
    """The routes; ``status_token`` None leaves ``/status`` and ``/metrics`` open (loopback).
    ``hints`` None refuses every Accredo hint."""
    hints = hints or HintReceiver(None)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "webhooks": receiver.enabled})

    async def readyz(_request: Request) -> Response:
        answers = await status.readiness()
        down = [name for name, why in answers.items() if why is not None]
        body = {
            "status": "ready" if not down else f"not ready: {', '.join(down)} did not answer",
            **{name: why or "ok" for name, why in answers.items()},
        }
        return JSONResponse(body, status_code=503 if down else 200)

    async def status_page(request: Request) -> Response:
        if refusal := _refusal(request, status_token):
            return refusal
        try:
            page, code = render(await status.snapshot()), 200
        except StoreError as exc:  # the page still loads, and says so
            log.warning("status page without the state store", error=str(exc))
            page, code = render_unavailable(f"The state store did not answer: {exc}"), 503
        return HTMLResponse(page, status_code=code, headers={"Cache-Control": "no-store"})

    async def metrics(request: Request) -> Response:
        if refusal := _refusal(request, status_token):
            return refusal
        try:
            await status.refresh_metrics()
        except StoreError as exc:  # a failed scrape alerts; stale gauges would not
            log.warning("metrics without the state store", error=str(exc))
            return PlainTextResponse(f"state store did not answer: {exc}\n", status_code=503)
        return Response(status.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, receiver.handle, methods=["POST"]),
            Route(HINT_PATH, hints.handle, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            Route(READY_PATH, readyz, methods=["GET"]),
            Route(STATUS_PATH, status_page, methods=["GET"]),
            Route(METRICS_PATH, metrics, methods=["GET"]),
        ]
    )


def _refusal(request: Request, token: str | None) -> Response | None:
    """A 401 unless no token is needed or the request carries it."""
    if token is None or bearer_matches(request, token):
        return None
    return unauthorized()
