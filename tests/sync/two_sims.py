"""Both simulators for the specs' tests of the HubSpot-to-Accredo side: served once per module
(``both_sims``), put back to their seed and connected to for each test (``connected``), with a
linked debtor ready when asked (``Connected.link_company``); the company fields' pipeline onto
that debtor (``CompanyRig``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self

import httpx

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore, StateStore
from accredo_hubspot.sync.companies_in import CompanyToAccredoSpec
from accredo_hubspot.sync.owners import SalesPersons
from accredo_hubspot.sync.pipeline import Clock, Pipeline
from sims.accredo.app import create_app as accredo_app
from sims.accredo.config import SimConfig
from sims.hubspot.app import create_app as hubspot_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread
from tests.e2e.world import demo_accredo, user_creates

#: The specs' day: a fixed clock, so no test depends on the wall clock.
CLOCK = Clock(now=lambda: datetime(2026, 11, 30, tzinfo=UTC), today=lambda: date(2026, 11, 30))


@dataclass
class Sims:
    accredo: BackgroundServer
    hubspot: BackgroundServer
    accredo_app: Any  # the Accredo simulator's app, for reading its tables directly


#: The scopes the README says the private app needs: the sync specs run with only these, so a
#: call needing another fails them with HubSpot's 403 MISSING_SCOPES (reference 1).
README_SCOPES = (
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.owners.read",
    "crm.schemas.companies.write",
    "crm.schemas.deals.write",
    "crm.schemas.custom.read",
    "crm.schemas.custom.write",
    "crm.objects.custom.read",
    "crm.objects.custom.write",
)


@contextmanager
def both_sims(*, seed: int = 4, customers: int = 3) -> Iterator[Sims]:
    """The two simulators on loopback, HubSpot's rate limits and search lag off, the token
    granted only the README's scopes."""
    hubspot = HubSpotSimConfig(
        rate_limit=0,
        search_rate_limit=0,
        indexing_delay_ms=0,
        token_scopes={DEMO_TOKEN: README_SCOPES},
    )
    app = accredo_app(SimConfig(seed=seed, customers=customers))
    with serve_in_thread(app) as accredo, serve_in_thread(hubspot_app(hubspot)) as hub:
        yield Sims(accredo, hub, app)


@dataclass
class Connected:
    """Clients of both simulators and a fresh state store on disk."""

    sims: Sims
    accredo: AccredoClient
    hubspot: HubSpotClient
    store: StateStore
    offloaded: AsyncStateStore
    code: str  # the first debtor of the seed

    def link_company(self, name: str) -> str:
        """A HubSpot user's company named ``name``, linked to ``code``; its id."""
        company_id = user_creates(self.sims.hubspot.url, "companies", {"name": name})
        self.store.put_links("company", {self.code: company_id})
        return company_id


@asynccontextmanager
async def connected(sims: Sims, tmp_path: Path) -> AsyncIterator[Connected]:
    """Both simulators back to their seed, and connected to."""
    for sim in (sims.accredo, sims.hubspot):
        httpx.post(f"{sim.url}/_sim/reset").raise_for_status()
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        async with (
            demo_accredo(sims.accredo) as accredo,
            HubSpotClient(DEMO_TOKEN, base_url=sims.hubspot.url) as hubspot,
            AsyncStateStore(store) as offloaded,
        ):
            code, *_ = [c.CustomerCode async for c in accredo.iter_customers(page_size=3)]
            yield Connected(sims, accredo, hubspot, store, offloaded, code)
    finally:
        store.close()


@dataclass
class CompanyRig:
    """HubSpot-mastered company fields onto the debtor ``code``: ``CompanyToAccredoSpec``'s
    pipeline over ``connected`` clients (modules add their users' actions)."""

    hubspot_sim: BackgroundServer
    accredo: AccredoClient
    store: StateStore
    pipeline: Pipeline[HubSpotObject]
    code: str

    @classmethod
    def of(
        cls, on: Connected, config: MappingConfig, sales_persons: SalesPersons | None = None
    ) -> Self:
        spec = CompanyToAccredoSpec(
            on.accredo, on.accredo, on.hubspot, on.offloaded, config, sales_persons
        )
        return cls(
            on.sims.hubspot, on.accredo, on.store, Pipeline(spec, on.offloaded, CLOCK), on.code
        )
