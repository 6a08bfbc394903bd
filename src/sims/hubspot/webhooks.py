"""Webhook events and their delivery (reference section 11): only subscribed events (see
``subscriptions``), batched per POST (a JSON array of at most 100), v1 and v3 signatures,
retries with ``attemptNumber`` on connection failures, timeouts and any 4xx or 5xx."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from sims.hubspot.config import HubSpotSimConfig
from sims.hubspot.events import Change
from sims.hubspot.signing import signature_v1, signature_v3
from sims.hubspot.subscriptions import Subscription, parse_subscriptions
from sims.hubspot.timeutil import now_ms

JsonDict = dict[str, Any]
log = logging.getLogger(__name__)

MAX_EVENTS_PER_REQUEST = 100
USER_AGENT = (
    "HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nio-http-client) "
    "- WebhooksExecutorDaemon-executor"
)
CHANGE_FLAGS = {"creation": "CREATED", "deletion": "DELETED"}
"""Live captures show ``CREATED`` (reference 11.3); ``DELETED`` by analogy [assumed]."""
GENERIC_ASSOCIATION_FIELDS = (
    "associationTypeId",
    "associationCategory",
    "fromObjectTypeId",
    "toObjectTypeId",
)


@dataclass
class Delivery:
    """One POST to the target URL, kept for ``GET /_sim/webhooks``."""

    attempt: int
    events: int
    status: int | None
    error: str | None
    at_ms: int = field(default_factory=now_ms)


class WebhookDispatcher:
    """Turns CRM changes into events and posts them from a background task."""

    def __init__(self, config: HubSpotSimConfig) -> None:
        self.config = config
        self.subscriptions = parse_subscriptions(config.webhook_subscriptions)
        self.enabled = True
        self.deliveries: list[Delivery] = []
        self.pending: list[JsonDict] = []
        self._event_id = 0
        self._wake: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def active(self) -> bool:
        return bool(self.config.webhook_url) and self.enabled

    # -- events ----------------------------------------------------------------------------
    def on_change(self, change: Change) -> None:
        if not self.active:
            return
        for sub in self.subscriptions:
            if sub.covers(change.kind, change.object_type, change.property_name):
                self.pending.append(self._event(sub, change))
        if self._wake is not None:
            self._wake.set()

    def _event(self, sub: Subscription, change: Change) -> JsonDict:
        self._event_id += 1
        event: JsonDict = {
            "eventId": self._event_id,
            "subscriptionId": sub.id,
            "portalId": self.config.portal_id,
            "appId": self.config.app_id,
            "occurredAt": change.occurred_ms,
            "subscriptionType": sub.subscription_type,
            "attemptNumber": 0,
        }
        if change.kind != "associationChange":
            event["objectId"] = change.object_id
        if sub.is_generic:
            event["objectTypeId"] = change.object_type.type_id
        if change.kind in CHANGE_FLAGS:
            event["changeFlag"] = CHANGE_FLAGS[change.kind]
        if change.kind == "propertyChange":
            event["propertyName"] = change.property_name
            event["propertyValue"] = change.property_value or ""
        extra = dict(change.extra)
        if change.kind == "associationChange" and not sub.is_generic:
            for name in GENERIC_ASSOCIATION_FIELDS:
                extra.pop(name, None)
        event.update(extra)
        event["changeSource"] = change.source.change_source
        event["sourceId"] = change.source.source_id
        return event

    # -- delivery --------------------------------------------------------------------------
    async def run(self) -> None:
        """Flush pending events every batch window until cancelled."""
        self._wake = asyncio.Event()
        self._semaphore = asyncio.Semaphore(max(self.config.webhook_max_concurrent, 1))
        window_s = self.config.webhook_batch_window_ms / 1000
        async with httpx.AsyncClient(timeout=self.config.webhook_timeout_s) as client:
            try:
                while True:
                    await self._wake.wait()
                    self._wake.clear()
                    await asyncio.sleep(window_s)
                    self.flush(client)
            finally:
                for task in list(self._tasks):
                    task.cancel()

    def flush(self, client: httpx.AsyncClient) -> None:
        while self.pending:
            batch = self.pending[:MAX_EVENTS_PER_REQUEST]
            del self.pending[:MAX_EVENTS_PER_REQUEST]
            self._spawn(self._deliver(client, batch, 0))

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self, client: httpx.AsyncClient, batch: list[JsonDict], attempt: int
    ) -> None:
        url = self.config.webhook_url
        if not url or self._semaphore is None:
            return
        body = json.dumps([{**e, "attemptNumber": attempt} for e in batch]).encode()
        async with self._semaphore:
            status, error = await self._post(client, url, body)
        self.deliveries.append(Delivery(attempt, len(batch), status, error))
        if status is not None and 200 <= status < 300:
            return
        delays = self.config.webhook_retry_delays_s
        if attempt < len(delays):
            await asyncio.sleep(delays[attempt])
            self._spawn(self._deliver(client, batch, attempt + 1))

    async def _post(
        self, client: httpx.AsyncClient, url: str, body: bytes
    ) -> tuple[int | None, str | None]:
        timestamp = now_ms()
        secret = self.config.webhook_secret or ""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-HubSpot-Signature": signature_v1(secret, body),
            "X-HubSpot-Signature-Version": "v1",
            "X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, body, timestamp),
            "X-HubSpot-Request-Timestamp": str(timestamp),
        }
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None
