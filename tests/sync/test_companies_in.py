"""HubSpot-mastered company fields onto the linked debtor (``CompanyToAccredoSpec``), against
both simulators: PATCHed with the debtor's eTag, checked against Accredo's field limits first,
and nothing written for what already agrees or for a company linked to no debtor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.accredo import AccredoClient
from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.config import parse_config
from accredo_hubspot.store import AsyncStateStore, StateStore
from accredo_hubspot.sync.companies_in import CompanyToAccredoSpec
from accredo_hubspot.sync.pipeline import Clock, Pipeline
from sims.accredo.app import create_app as accredo_app
from sims.accredo.config import SimConfig
from sims.hubspot.app import create_app as hubspot_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread

CLOCK = Clock(now=lambda: datetime(2026, 11, 30, tzinfo=UTC), today=lambda: date(2026, 11, 30))
CONFIG = parse_config(
    '[[company_fields]]\nhubspot = "industry"\naccredo = "Category1"\nmaster = "hubspot"\n'
    'transform = "text"\n',
    "test",
)


@pytest.fixture(scope="module")
def sims() -> Iterator[tuple[BackgroundServer, BackgroundServer]]:
    hubspot = HubSpotSimConfig(rate_limit=0, search_rate_limit=0, indexing_delay_ms=0)
    with (
        serve_in_thread(accredo_app(SimConfig(seed=4, customers=3))) as accredo,
        serve_in_thread(hubspot_app(hubspot)) as hub,
    ):
        yield accredo, hub


@dataclass
class Rig:
    hubspot_sim: BackgroundServer
    accredo: AccredoClient
    store: StateStore
    pipeline: Pipeline[HubSpotObject]
    code: str

    def user_creates_company(self, industry: str) -> str:
        answer = httpx.post(
            f"{self.hubspot_sim.url}/_sim/objects/companies",
            json={"properties": {"name": "Harbour Freight", "industry": industry}},
        )
        answer.raise_for_status()
        company_id: str = answer.json()["id"]
        return company_id

    async def category(self) -> object:
        (customer,) = await self.accredo.get_customers([self.code])
        return (customer.model_extra or {}).get("Category1")


@pytest.fixture
async def rig(
    sims: tuple[BackgroundServer, BackgroundServer], tmp_path: Path
) -> AsyncIterator[Rig]:
    accredo_sim, hubspot_sim = sims
    for sim in sims:
        httpx.post(f"{sim.url}/_sim/reset").raise_for_status()
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    async with (
        AccredoClient(
            f"{accredo_sim.url}/saturn",
            "DEMO",
            "accredo-hubspot-demo",
            "SYNC",
            "sync-demo-password",
        ) as accredo,
        HubSpotClient(DEMO_TOKEN, base_url=hubspot_sim.url) as hubspot,
        AsyncStateStore(store) as offloaded,
    ):
        code, *_ = [c.CustomerCode async for c in accredo.iter_customers(page_size=3)]
        spec = CompanyToAccredoSpec(accredo, accredo, hubspot, offloaded, CONFIG)
        yield Rig(hubspot_sim, accredo, store, Pipeline(spec, offloaded, CLOCK), code)


async def test_a_hubspot_mastered_field_is_patched_onto_the_linked_debtor(rig: Rig) -> None:
    company = rig.user_creates_company("RETAIL")
    rig.store.put_links("company", {rig.code: company})
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert (report.updated, report.calls) == (1, 1)
    assert await rig.category() == "RETAIL"
    assert rig.store.get_shadows("accredo", "company", [company]) == {
        company: {"Category1": "RETAIL"}
    }
    again = await rig.pipeline.sync([company], reason="hubspot change")
    assert (again.unchanged, again.calls) == (1, 0)


async def test_a_value_too_long_for_the_debtor_field_is_a_dead_letter(rig: Rig) -> None:
    company = rig.user_creates_company("CONSTRUCTION")  # Category1 holds 8 characters
    rig.store.put_links("company", {rig.code: company})
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert (report.updated, report.failed, report.calls) == (0, 1, 0)
    (letter,) = rig.store.list_dead_letters()
    assert (letter.record_key, letter.side, letter.field) == (company, "accredo", "Category1")
    assert "8 characters" in letter.reason
    assert await rig.category() != "CONSTRUCTION"


async def test_a_company_linked_to_no_debtor_writes_nothing(rig: Rig) -> None:
    company = rig.user_creates_company("RETAIL")
    report = await rig.pipeline.sync([company], reason="hubspot change")
    assert (report.updated, report.failed, report.calls) == (0, 0, 0)
