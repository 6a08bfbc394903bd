"""Wiring: settings and configuration in, connected clients and the state store out.

The one place that turns environment settings into live objects, so the CLI, the demo and the
benchmarks build the connector the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import structlog
from starlette.applications import Starlette

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.mapping.config import MappingConfig, SyncSettings
from accredo_hubspot.metrics import Metrics
from accredo_hubspot.settings import AccredoSettings, HubSpotSettings, Settings
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.business_date import BusinessDate
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.web import HintReceiver, StatusSource, WebhookReceiver, create_app

if TYPE_CHECKING:
    from accredo_hubspot.sync.ports import (
        AccredoSink,
        AccredoSource,
        HubSpotProperties,
        HubSpotSink,
        HubSpotSource,
    )


log = structlog.get_logger(__name__)


@dataclass
class Connector:
    """Everything a command needs, opened together and closed together."""

    accredo: AccredoClient
    hubspot: HubSpotClient
    store: AsyncStateStore
    config: MappingConfig
    clock: Clock
    metrics: Metrics


if TYPE_CHECKING:

    def _clients_implement_ports(
        accredo: AccredoClient, hubspot: HubSpotClient
    ) -> tuple[AccredoSource, AccredoSink, HubSpotSink, HubSpotSource, HubSpotProperties]:
        """mypy proves here that the clients satisfy the protocols the runners take (the
        clients themselves never import the sync)."""
        return accredo, accredo, hubspot, hubspot, hubspot


def company_clock(config: MappingConfig, accredo: AccredoClient | None = None) -> Clock:
    """Wall-clock time; ``today`` is Accredo's business date (its ``SystemDate``) when
    ``accredo`` is given, so day counts agree with Accredo's own aging, and the date in the
    company's time zone until it is first read (or without ``accredo``)."""

    def now() -> datetime:
        return datetime.now(UTC)

    def calendar_today() -> date:
        return datetime.now(config.tz).date()

    if accredo is None:
        return Clock(now=now, today=calendar_today)
    business = BusinessDate(accredo.system_date, fallback=calendar_today)
    return Clock(now=now, today=business.today, business_date=business)


def accredo_client(settings: AccredoSettings, metrics: Metrics | None = None) -> AccredoClient:
    """A client reporting its answers to ``metrics`` (when given)."""
    return AccredoClient(
        settings.base_url,
        settings.company,
        settings.client_id,
        settings.username,
        settings.password.get_secret_value(),
        ca_bundle=settings.ca_bundle,
        on_response=None if metrics is None else metrics.response_hook("accredo"),
    )


#: Share of HubSpot's per-10-second limit the connector allows itself. The burst limit is per
#: app (reference hubspot-api.md section 3), so the reserve is for our own other processes.
HUBSPOT_HEADROOM = 0.95


def hubspot_client(
    settings: HubSpotSettings, budget: SyncSettings | None = None, metrics: Metrics | None = None
) -> HubSpotClient:
    """A client pacing itself to ``budget`` (this process's share of the portal's limits),
    reporting its answers to ``metrics`` (when given)."""
    budget = budget or SyncSettings()
    return HubSpotClient(
        settings.access_token.get_secret_value(),
        base_url=settings.base_url,
        rate_limit_per_10s=budget.hubspot_requests_per_10s,
        search_per_s=budget.hubspot_searches_per_s,
        headroom=HUBSPOT_HEADROOM,
        on_response=None if metrics is None else metrics.response_hook("hubspot"),
    )


async def open_store(settings: Settings) -> AsyncStateStore:
    return await AsyncStateStore.open(settings.database_url.get_secret_value())


@asynccontextmanager
async def connect(settings: Settings, config: MappingConfig) -> AsyncIterator[Connector]:
    """Open both clients and the store, with the process's metrics; close them all on the way
    out."""
    metrics = Metrics()
    store = await open_store(settings)
    try:
        async with (
            accredo_client(settings.require_accredo(), metrics) as accredo,
            hubspot_client(settings.require_hubspot(), config.sync, metrics) as hubspot,
        ):
            yield Connector(
                accredo, hubspot, store, config, company_clock(config, accredo), metrics
            )
    finally:
        await store.aclose()


#: Seconds between searches of HubSpot for changes, by default: often when polling carries
#: the sync (no client secret, so no webhooks), as a safety net beside webhooks.
HUBSPOT_POLL_S_WITHOUT_WEBHOOKS = 5.0
HUBSPOT_POLL_S_WITH_WEBHOOKS = 60.0


def default_hubspot_poll_s(settings: HubSpotSettings) -> float:
    """``run --hubspot-poll-s``'s default: 5 s without ``HUBSPOT_CLIENT_SECRET``, 60 s with."""
    if settings.client_secret is None:
        return HUBSPOT_POLL_S_WITHOUT_WEBHOOKS
    return HUBSPOT_POLL_S_WITH_WEBHOOKS


def web_app(
    settings: Settings,
    conn: Connector,
    *,
    webhook_url: str | None,
    on_events: Callable[[], None] | None = None,
    on_hint: Callable[[], None] | None = None,
) -> Starlette:
    """The web app ``run`` serves; without a client secret it refuses every webhook, and says
    once that polling carries the sync. ``/status`` and ``/metrics`` need the status token
    when one is set. ``on_events`` wakes the sync when webhook events are stored; ``on_hint``
    when Accredo's script sends a hint with the hint secret (without one, every hint is
    refused)."""
    status = StatusSource(
        conn.store,
        conn.metrics,
        accredo_latest=conn.accredo.latest_delta_ids,
        hubspot_probe=lambda: conn.hubspot.get_page("companies", limit=1),
    )
    token = None if settings.status_token is None else settings.status_token.get_secret_value()
    secret = settings.require_hubspot().client_secret
    if secret is None:
        log.warning(
            "webhooks off: HUBSPOT_CLIENT_SECRET is not set, so every webhook is refused "
            "and polling carries the sync"
        )
    receiver = WebhookReceiver(
        conn.store,
        None if secret is None else secret.get_secret_value(),
        webhook_url=webhook_url,
        on_events=on_events,
    )
    hint_secret = None if settings.hint_secret is None else settings.hint_secret.get_secret_value()
    hints = HintReceiver(hint_secret, on_hint)
    return create_app(receiver, status, status_token=token, hints=hints)
