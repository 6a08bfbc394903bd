"""The baseline: the obvious connector a team would write first, with HubSpot's official SDK.

Per debtor: search the companies by NZBN (``search_api.do_search``, an ``EQ`` filter on the
``nzbn`` property), then update the company found or create one (``basic_api``). Its urllib3
``Retry`` retries 429s and 5xx so it finishes. It writes the same property values as the
connector (computed with the connector's own mapping, so payloads are alike); open
transactions are not read, which only makes it cheaper on the Accredo side. It runs
synchronously in a worker thread; its HubSpot calls are the simulator's count, 429s included.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from hubspot.crm.companies import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from rich.console import Console
from urllib3.util.retry import Retry

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.identity import business_number
from accredo_hubspot.mapping.objects import PRICE_TIER_PROPERTY
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.companies import desired_company_properties
from accredo_hubspot.sync.planner import DesiredValuesError
from accredo_hubspot.sync.setup import run_setup
from bench.harness import (
    CONNECTOR_TOKEN,
    Sims,
    create_as_user,
    existing_companies,
    hubspot_stats,
    reset_hubspot,
    reset_hubspot_stats,
)
from hubspot import HubSpot

#: What a first version would configure: retry 429 and 5xx with exponential backoff,
#: honouring ``Retry-After`` when sent, on every method (POST searches and creates too).
SDK_RETRY = Retry(
    total=50,
    backoff_factor=0.25,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=None,
    respect_retry_after_header=True,
)
WINDOW_S = 10.0


@dataclass
class BaselineFigures:
    debtors: int
    wall_s: float
    calls: int
    rate_limited: int
    created: int
    updated: int
    skipped: int
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def calls_per_debtor(self) -> float:
        return self.calls / self.debtors if self.debtors else float("nan")

    @property
    def per_debtor_s(self) -> float:
        return self.wall_s / self.debtors if self.debtors else float("nan")


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0


Work = list[tuple[str | None, dict[str, str]]]
"""Per debtor: its NZBN (or ABN) if any, and the properties to write."""


def sync_naively(client: HubSpot, work: Work, nzbn: str) -> _Outcome:
    """The naive loop itself: one search and one write per debtor."""
    companies = client.crm.companies
    outcome = _Outcome()
    for number, properties in work:
        found: list[Any] = []
        if number:
            request = PublicObjectSearchRequest(
                filter_groups=[
                    FilterGroup(filters=[Filter(property_name=nzbn, operator="EQ", value=number)])
                ],
                properties=[nzbn],
                limit=1,
            )
            found = companies.search_api.do_search(public_object_search_request=request).results
        if found:
            companies.basic_api.update(
                found[0].id,
                simple_public_object_input=SimplePublicObjectInput(properties=properties),
            )
            outcome.updated += 1
        else:
            companies.basic_api.create(
                simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                    properties=properties
                )
            )
            outcome.created += 1
    return outcome


def _work_item(
    customer: ARCustomer, config: MappingConfig, conn: Connector
) -> tuple[str | None, dict[str, str]] | None:
    try:
        properties = desired_company_properties(
            customer, [], conn.clock.today(), conn.clock.now(), config, for_create=True
        )
    except DesiredValuesError:
        return None
    # The price tier is an enumeration whose options the connector keeps in step with Accredo
    # (sync.price_tiers); the obvious connector has no such thing, so it writes the rest.
    properties.pop(PRICE_TIER_PROPERTY, None)
    return business_number(customer), properties


async def run_baseline(
    conn: Connector, sims: Sims, http: httpx.AsyncClient, debtors: int, console: Console
) -> BaselineFigures:
    """A fresh HubSpot portal (properties set up, a quarter of the debtors there), then the
    naive connector over the first ``debtors`` debtors."""
    await reset_hubspot(http, sims)
    await run_setup(conn.hubspot, conn.config)
    setup_done = time.monotonic()
    customers: list[ARCustomer] = []
    async for customer in conn.accredo.iter_customers():
        customers.append(customer)
        if len(customers) >= debtors:
            break
    for properties in existing_companies(customers, conn.config):
        await create_as_user(http, sims, properties)
    items = [_work_item(c, conn.config, conn) for c in customers]
    work = [item for item in items if item is not None]
    await asyncio.sleep(max(0.0, setup_done + WINDOW_S - time.monotonic()))
    await reset_hubspot_stats(http, sims)
    client = HubSpot(access_token=CONNECTOR_TOKEN, host=sims.hubspot_url, retry=SDK_RETRY)
    console.print(f"  baseline: official SDK, search-then-write, {len(work)} debtors; running ...")
    started = time.monotonic()
    outcome = await asyncio.to_thread(sync_naively, client, work, conn.config.nzbn_property)
    wall_s = time.monotonic() - started
    stats = await hubspot_stats(http, sims)
    return BaselineFigures(
        debtors=len(work),
        wall_s=wall_s,
        calls=stats.requests,
        rate_limited=stats.rate_limited,
        created=outcome.created,
        updated=outcome.updated,
        skipped=len(items) - len(work),
        by_route=stats.by_route,
    )


def print_baseline(console: Console, f: BaselineFigures) -> None:
    console.print(f"[bold]Baseline: official SDK, search then write[/] ({f.debtors:,} debtors)")
    console.print(f"  {f.updated} updated, {f.created} created, {f.skipped} skipped")
    per_debtor_ms = f.per_debtor_s * 1000
    console.print(f"  wall time            {f.wall_s:8.1f} s   ({per_debtor_ms:.1f} ms/debtor)")
    console.print(f"  HubSpot calls        {f.calls:8,d}   (429s included: {f.rate_limited:,})")
    console.print(f"  calls per debtor     {f.calls_per_debtor:8.2f}")
    routes = ", ".join(f"{route}: {n}" for route, n in sorted(f.by_route.items()))
    console.print(f"  calls by route       {routes}")
