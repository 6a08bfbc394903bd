"""Wiring: settings and configuration in, connected clients and the state store out.

The one place that turns environment settings into live objects, so the CLI, the demo and the
benchmarks build the connector the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import structlog
from starlette.applications import Starlette

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.mapping.config import MappingConfig, SyncSettings
from accredo_hubspot.settings import AccredoSettings, HubSpotSettings, Settings
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.web import WebhookReceiver, create_app

if TYPE_CHECKING:
    from accredo_hubspot.sync.ports import AccredoSource, HubSpotProperties, HubSpotSink


log = structlog.get_logger(__name__)


@dataclass
class Connector:
    """Everything a command needs, opened together and closed together."""

    accredo: AccredoClient
    hubspot: HubSpotClient
    store: AsyncStateStore
    config: MappingConfig
    clock: Clock


if TYPE_CHECKING:

    def _clients_implement_ports(
        accredo: AccredoClient, hubspot: HubSpotClient
    ) -> tuple[AccredoSource, HubSpotSink, HubSpotProperties]:
        """mypy proves here that the clients satisfy the protocols the runners take (the
        clients themselves never import the sync)."""
        return accredo, hubspot, hubspot


def company_clock(config: MappingConfig) -> Clock:
    """Wall-clock time; ``today`` in the company's time zone (days overdue are NZ days)."""

    def now() -> datetime:
        return datetime.now(UTC)

    def today() -> date:
        return datetime.now(config.tz).date()

    return Clock(now=now, today=today)


def accredo_client(settings: AccredoSettings) -> AccredoClient:
    return AccredoClient(
        settings.base_url,
        settings.company,
        settings.client_id,
        settings.username,
        settings.password.get_secret_value(),
        ca_bundle=settings.ca_bundle,
    )


#: Share of HubSpot's per-10-second limit the connector allows itself. The burst limit is per
#: app (reference hubspot-api.md section 3), so the reserve is for our own other processes.
HUBSPOT_HEADROOM = 0.95


def hubspot_client(settings: HubSpotSettings, budget: SyncSettings | None = None) -> HubSpotClient:
    """A client pacing itself to ``budget`` (this process's share of the portal's limits)."""
    budget = budget or SyncSettings()
    return HubSpotClient(
        settings.access_token.get_secret_value(),
        base_url=settings.base_url,
        rate_limit_per_10s=budget.hubspot_requests_per_10s,
        search_per_s=budget.hubspot_searches_per_s,
        headroom=HUBSPOT_HEADROOM,
    )


async def open_store(settings: Settings) -> AsyncStateStore:
    return await AsyncStateStore.open(settings.database_url.get_secret_value())


@asynccontextmanager
async def connect(settings: Settings, config: MappingConfig) -> AsyncIterator[Connector]:
    """Open both clients and the store; close them all on the way out."""
    store = await open_store(settings)
    try:
        async with (
            accredo_client(settings.require_accredo()) as accredo,
            hubspot_client(settings.require_hubspot(), config.sync) as hubspot,
        ):
            yield Connector(accredo, hubspot, store, config, company_clock(config))
    finally:
        await store.aclose()


def web_app(
    settings: HubSpotSettings, store: AsyncStateStore, *, webhook_url: str | None
) -> Starlette:
    """The web app ``run`` serves; without a client secret it refuses every webhook, and says
    once that polling carries the sync."""
    secret = settings.client_secret
    if secret is None:
        log.warning(
            "webhooks off: HUBSPOT_CLIENT_SECRET is not set, so every webhook is refused "
            "and polling carries the sync"
        )
    # The sync does not read the inbox yet; when it does, its wake-up is ``on_events``.
    receiver = WebhookReceiver(
        store,
        None if secret is None else secret.get_secret_value(),
        webhook_url=webhook_url,
    )
    return create_app(receiver)
