"""The company's credit status and days overdue onto its open deals (``DealRiskSpec``),
against the HubSpot simulator: open deals written in one batch call, closed ones left, and
nothing sent again while the company's values stay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.hubspot.models import HubSpotObject
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.store import AsyncStateStore, StateStore
from accredo_hubspot.sync.deal_risk import DealRiskSpec
from accredo_hubspot.sync.pipeline import Pipeline
from accredo_hubspot.sync.setup import run_setup
from sims.hubspot.app import create_app as hubspot_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread
from tests.e2e.world import risk_of, user_adds_deal, user_creates
from tests.sync.two_sims import CLOCK


@pytest.fixture(scope="module")
def sim() -> Iterator[BackgroundServer]:
    config = HubSpotSimConfig(rate_limit=0, search_rate_limit=0, indexing_delay_ms=0)
    with serve_in_thread(hubspot_app(config)) as server:
        yield server


@pytest.fixture
async def pipeline(
    sim: BackgroundServer, tmp_path: Path
) -> AsyncIterator[tuple[DealRiskSpec, Pipeline[HubSpotObject]]]:
    httpx.post(f"{sim.url}/_sim/reset").raise_for_status()
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    async with (
        HubSpotClient(DEMO_TOKEN, base_url=sim.url) as hubspot,
        AsyncStateStore(store) as offloaded,
    ):
        await run_setup(hubspot, load_config(None))
        spec = DealRiskSpec(hubspot)
        yield spec, Pipeline(spec, offloaded, CLOCK)
    store.close()


async def test_open_deals_get_the_companys_risk_in_one_batch(
    sim: BackgroundServer, pipeline: tuple[DealRiskSpec, Pipeline[HubSpotObject]]
) -> None:
    spec, sync = pipeline
    company = user_creates(
        sim.url,
        "companies",
        {
            "name": "Harbour Freight",
            "accredo_credit_status": "overdue_60",
            "accredo_days_overdue": "64",
        },
    )
    open_deals = [user_adds_deal(sim.url, company, "qualifiedtobuy") for _ in range(3)]
    won = user_adds_deal(sim.url, company, "closedwon")
    deals = await spec.open_deals_of([company])
    assert sorted(deals) == sorted([*open_deals, won])
    report = await sync.sync(deals, reason="test")
    assert (report.updated, report.calls) == (3, 1)
    assert {risk_of(sim.url, "deals", d) for d in open_deals} == {("overdue_60", "64")}
    assert risk_of(sim.url, "deals", won) == (None, None)
    again = await sync.sync(deals, reason="test")
    assert (again.updated, again.calls) == (0, 0)
