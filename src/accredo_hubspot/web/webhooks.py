"""The webhook endpoint: HubSpot's signed deliveries into the inbox, answered at once.

HubSpot retries any delivery that is not answered 2xx within 5 seconds (reference 11.4), so
the endpoint does only what must come before the answer: check the v3 signature on the raw
body (reference 11.5), check the body's shape, and store the events in the inbox (de-duplicated,
so a redelivery is harmless). What the events mean is worked out later, by the sync reading the
inbox (``StateStore.take_inbox``): events only say which record changed.

Refusals say nothing about why (the reason goes to the log): 401 for a missing, forged or
stale signature and for every request while no client secret is configured, 400 for a body
that is not a JSON array of events, 413 for a body larger than any delivery.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from accredo_hubspot.hubspot.errors import HubSpotValidationError
from accredo_hubspot.hubspot.signatures import v3_refusal
from accredo_hubspot.hubspot.webhooks import inbox_key, parse_event, webhook_payloads
from accredo_hubspot.shared import HUBSPOT_INBOX_SOURCE
from accredo_hubspot.web.errors import WebhookUrlError

log = structlog.get_logger(__name__)

#: The inbox's name for HubSpot's events.
INBOX_SOURCE = HUBSPOT_INBOX_SOURCE
#: Largest body accepted: a delivery holds under 100 events of well under 1 KB each.
MAX_BODY_BYTES = 1 << 20

#: The only words a refusal says, by status.
REFUSALS = {401: "unauthorized", 400: "bad request", 413: "payload too large"}


def checked_webhook_url(text: str) -> str:
    """``text`` if it is an absolute http(s) URL (what HubSpot posts to and signs)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlError(
            "--webhook-url must be an absolute http(s) URL such as "
            f"https://sync.example.co.nz/webhooks/hubspot; got {text!r}"
        )
    return text.strip()


class InboxWriter(Protocol):
    """Where accepted events go (``AsyncStateStore``): an ``add_inbox`` that never blocks the
    event loop."""

    async def add_inbox(self, source: str, events: Mapping[str, Any]) -> list[str]: ...


class WebhookReceiver:
    """Checks, parses and stores one delivery.

    ``client_secret`` None refuses every request (webhooks off; polling carries the sync).
    ``webhook_url`` is the URL HubSpot signs (the app's target URL); leave it None to use the
    URL the request arrived at, which is right unless a proxy rewrites the host or path.
    ``on_events`` is called after new events are stored: the hook that wakes the sync.
    """

    def __init__(
        self,
        inbox: InboxWriter,
        client_secret: str | None,
        *,
        webhook_url: str | None = None,
        on_events: Callable[[], None] | None = None,
        clock_s: Callable[[], float] = time.time,
    ) -> None:
        self._inbox = inbox
        self._secret = client_secret
        self._webhook_url = webhook_url
        self._on_events = on_events
        self._clock_s = clock_s

    @property
    def enabled(self) -> bool:
        return self._secret is not None

    async def handle(self, request: Request) -> Response:
        """The endpoint: 204 once the events are stored, a bare 4xx otherwise."""
        if self._secret is None:
            return _refuse(401)
        body = await _read_body(request)
        if body is None:
            log.warning("webhook refused", reason="body too large")
            return _refuse(413)
        uri = self._webhook_url or str(request.url)
        refusal = v3_refusal(
            self._secret, request.method, uri, body, request.headers, now_s=self._clock_s()
        )
        if refusal is not None:
            log.warning("webhook refused", reason=str(refusal))
            return _refuse(401)
        try:
            payloads = webhook_payloads(body)
            events = {inbox_key(parse_event(p)): p for p in payloads}
        except HubSpotValidationError:
            log.warning("webhook refused", reason="malformed body")
            return _refuse(400)
        new = await self._inbox.add_inbox(INBOX_SOURCE, events) if events else []
        if not new:
            log.debug("webhook received", events=len(payloads), new=0)
            return Response(status_code=204)
        log.info("webhook received", events=len(payloads), new=len(new))
        if self._on_events is not None:
            self._on_events()
        return Response(status_code=204)


def _refuse(status: int) -> Response:
    return JSONResponse({"status": "error", "message": REFUSALS[status]}, status_code=status)


async def _read_body(request: Request) -> bytes | None:
    """The raw body, or None once it passes ``MAX_BODY_BYTES`` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
