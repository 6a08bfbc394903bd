"""The connector's web app served for real: uvicorn on a free loopback port, in the test's
event loop (as ``run`` serves it), with a state store on disk."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.hubspot.signatures import sign_v3
from accredo_hubspot.metrics import Metrics
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.tasks import task_group
from accredo_hubspot.web import (
    INBOX_SOURCE,
    WEBHOOK_PATH,
    HintReceiver,
    Listen,
    StatusSource,
    WebhookReceiver,
    bound_url,
    create_app,
    listening,
    serve,
)

SECRET = "app-client-secret-for-tests"


@dataclass
class Served:
    """The running web app: its base URL, its store, and how often it woke the sync."""

    url: str
    store: AsyncStateStore
    wakes: list[float]
    hints: list[float]

    @property
    def webhook_url(self) -> str:
        return f"{self.url}{WEBHOOK_PATH}"

    def inbox(self) -> list[dict[str, Any]]:
        return [event.payload for event in self.store.sync.take_inbox(INBOX_SOURCE)]


async def _no_change_tables() -> dict[str, int]:
    return {}


async def _answers() -> None:
    return None


def quiet_status(store: AsyncStateStore) -> StatusSource:
    """A status source for tests of the webhooks: Accredo has no change rows, HubSpot answers
    (tests/web/test_status.py serves the page against the simulators)."""
    return StatusSource(store, Metrics(), accredo_latest=_no_change_tables, hubspot_probe=_answers)


@asynccontextmanager
async def served(
    store: AsyncStateStore,
    secret: str | None,
    *,
    webhook_url: str | None = None,
    status: StatusSource | None = None,
    status_token: str | None = None,
    hint_secret: str | None = None,
) -> AsyncIterator[Served]:
    """The app on ``127.0.0.1:0`` until the block ends; then stopped as ``run`` stops it.
    ``wakes`` and ``hints`` record when webhook events and Accredo's hints woke the sync."""
    wakes: list[float] = []
    hints: list[float] = []
    hint_receiver = HintReceiver(hint_secret, lambda: hints.append(time.monotonic()))
    receiver = WebhookReceiver(
        store,
        secret,
        webhook_url=webhook_url,
        on_events=lambda: wakes.append(time.monotonic()),
    )
    stop = asyncio.Event()
    with listening(Listen("127.0.0.1", 0)) as sock:
        async with task_group() as group:
            app = create_app(
                receiver,
                status or quiet_status(store),
                status_token=status_token,
                hints=hint_receiver,
            )
            group.create_task(serve(app, sock, stop))
            try:
                yield Served(bound_url(sock), store, wakes, hints)
            finally:
                stop.set()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[AsyncStateStore]:
    async with await AsyncStateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened


@pytest.fixture
async def app(store: AsyncStateStore) -> AsyncIterator[Served]:
    async with served(store, SECRET) as running:
        yield running


def event(event_id: int, **more: Any) -> dict[str, Any]:
    """One event as HubSpot sends it (reference 11.3)."""
    return {
        "eventId": event_id,
        "subscriptionId": 1000,
        "portalId": 99999999,
        "appId": 1234567,
        "occurredAt": 1764460800000 + event_id,
        "subscriptionType": "company.propertyChange",
        "attemptNumber": 0,
        "objectId": 500 + event_id,
        "propertyName": "industry",
        "propertyValue": "RETAIL",
        "changeSource": "CRM_UI",
        "sourceId": "userId:42",
        **more,
    }


def signed(
    url: str,
    body: bytes,
    *,
    secret: str = SECRET,
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """The headers HubSpot sends with ``body`` posted to ``url``."""
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": sign_v3(secret, "POST", url, body, stamp),
        "X-HubSpot-Request-Timestamp": str(stamp),
    }


async def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(url, content=body, headers=headers)


def delivery(*events: dict[str, Any]) -> bytes:
    return json.dumps(list(events)).encode()
