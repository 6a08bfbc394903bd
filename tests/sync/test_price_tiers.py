"""The price tier against both simulators over HTTP: the pass creates ``accredo_price_tier``
with Accredo's price codes and writes each company's; a price list added in Accredo and given
to a customer becomes a new option, merged into those HubSpot has (one a user added stays),
and the customer's company gets it within a live cycle; running again writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.price_tiers import PriceTierSync
from tests.e2e.world import TOKEN, World, backfilled, running_world

TIER = "accredo_price_tier"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=30) as running:
        yield running


@pytest.fixture
async def conn(world: World, tmp_path: Path) -> AsyncIterator[Connector]:
    async with backfilled(world, tmp_path / "state.db", load_config(None)) as connector:
        yield connector


def options(world: World) -> dict[str, tuple[str, bool]]:
    listed = world.company_property(TIER)["options"]
    return {o["value"]: (o["label"], o["hidden"]) for o in listed}


async def test_price_codes_become_options_and_a_new_one_is_merged_in(
    world: World, conn: Connector
) -> None:
    sync = PriceTierSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    report = await sync.run()
    assert report.failed == 0, report.failures
    price_lists = await conn.accredo.price_lists()
    assert options(world) == {p.PriceCode: (p.PriceListName, bool(p.Inactive)) for p in price_lists}
    assert any(hidden for _, hidden in options(world).values()), "the seed has an inactive list"
    customers = {c.CustomerCode: c async for c in conn.accredo.iter_customers()}
    links = await conn.store.get_links("company")
    companies = world.companies([TIER])
    assert links and all(
        companies[links[code]][TIER] == (customers[code].PriceCode or None) for code in links
    )

    # A HubSpot admin adds an option of their own; then Accredo gains a price list.
    listed = world.company_property(TIER)["options"]
    by_hand = {"label": "Staff", "value": "STAFF", "displayOrder": 99, "hidden": False}
    httpx.patch(
        f"{world.hubspot.url}/crm/v3/properties/companies/{TIER}",
        json={"options": [*listed, by_hand]},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).raise_for_status()
    before = options(world)
    httpx.post(
        f"{world.accredo.url}/_sim/price-lists",
        json={"PriceCode": "VIP", "PriceListName": "VIP customers", "PriceListGstBasis": "E"},
    ).raise_for_status()
    code = sorted(links)[3]
    world.edit_customer(code, {"PriceCode": "VIP"})
    live = LiveSync(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, documents=[sync]
    )
    await live.cycle()
    assert options(world) == {**before, "VIP": ("VIP customers", False)}
    assert world.companies([TIER])[links[code]][TIER] == "VIP"

    writes = world.hubspot_stats()["writes"]
    again = await sync.run()
    assert (again.writes, again.failed) == (0, 0)
    await live.cycle()
    assert world.hubspot_stats()["writes"] == writes
