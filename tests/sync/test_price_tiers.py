"""The price tier against both simulators over HTTP: the backfill creates ``accredo_price_tier``
with Accredo's price codes and writes each company's with the rest of the company; a price list
added in Accredo and given to a customer becomes a new option, merged into those HubSpot has
(one a user added stays), and the customer's company gets it within a live cycle; a backfill
run again writes nothing; a price list no customer has yet appears within the option check; an
option a HubSpot user deletes is added back when a company's value is refused for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import Connector, connect
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.price_tiers import PriceTiers
from accredo_hubspot.sync.setup import run_setup
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
    assert await conn.store.list_dead_letters() == []
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
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    report = await live.cycle()
    assert report.by_type.get("to_hubspot company") == 1
    assert options(world) == {**before, "VIP": ("VIP customers", False)}
    assert world.companies([TIER])[links[code]][TIER] == "VIP"

    writes = world.hubspot_stats()["writes"]
    backfill = Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    again = await backfill.run()
    assert (again.writes, again.failed) == (0, 0)
    await live.cycle()
    assert world.hubspot_stats()["writes"] == writes


async def test_a_price_list_no_customer_has_becomes_an_option_at_the_next_check(
    world: World, conn: Connector
) -> None:
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    await live.cycle()  # the first poll looks at once
    httpx.post(
        f"{world.accredo.url}/_sim/price-lists",
        json={"PriceCode": "TRADE2", "PriceListName": "Trade two", "PriceListGstBasis": "E"},
    ).raise_for_status()
    await live.cycle()
    assert "TRADE2" not in options(world), "looked at every PRICE_CODES_CHECK_S, not every poll"
    live._price_tiers._next_check = 0.0  # the check is due
    await live.cycle()
    assert options(world)["TRADE2"] == ("Trade two", False)


async def test_without_setup_the_tier_is_left_out_until_its_group_exists(
    world: World, tmp_path: Path
) -> None:
    world.reset()
    async with connect(world.settings(tmp_path / "state.db"), load_config(None)) as conn:
        tiers = PriceTiers(conn.accredo, conn.hubspot, conn.store)
        await tiers.cover({"RETAIL"})  # HubSpot refuses the property: no Accredo group yet
        assert not tiers.exists
        await run_setup(conn.hubspot, conn.config)
        await tiers.sync_if_due()  # the first look at the options, now with the group
        assert tiers.exists
        assert "RETAIL" in options(world)


async def test_an_option_deleted_in_hubspot_is_added_again_when_a_value_is_refused(
    world: World, conn: Connector
) -> None:
    """A HubSpot user deletes an option the connector remembers: the company write HubSpot
    refuses (INVALID_OPTION) heals it, the option back and the company written, in one pass."""
    price_lists = {p.PriceCode: p for p in await conn.accredo.price_lists()}
    customers = {c.CustomerCode: c async for c in conn.accredo.iter_customers()}
    links = await conn.store.get_links("company")
    moving = next(code for code in sorted(links) if customers[code].PriceCode)
    gone = next(code for code in sorted(price_lists) if code != customers[moving].PriceCode)
    listed = world.company_property(TIER)["options"]
    httpx.patch(
        f"{world.hubspot.url}/crm/v3/properties/companies/{TIER}",
        json={"options": [o for o in listed if o["value"] != gone]},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).raise_for_status()
    assert gone not in options(world)

    world.edit_customer(moving, {"PriceCode": gone})
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    report = await live.cycle()
    assert report.by_type.get("to_hubspot company") == 1
    assert await conn.store.list_dead_letters() == []
    assert world.companies([TIER])[links[moving]][TIER] == gone
    label = price_lists[gone].PriceListName or ""
    assert options(world)[gone] == (label, bool(price_lists[gone].Inactive))
    assert await conn.store.get_meta("price_tier_options") == ",".join(sorted(options(world)))


async def test_a_refused_code_accredo_lacks_is_not_looked_for_in_hubspot(
    world: World, conn: Connector
) -> None:
    """A debtor's code with no price list behind it cannot become an option: its refusal
    leaves the options remembered as they are and reads nothing from HubSpot."""
    kept = await conn.store.get_meta("price_tier_options")
    tiers = PriceTiers(conn.accredo, conn.hubspot, conn.store)
    requests = world.hubspot_stats()["requests"]
    assert await tiers.heal({"NOPE", ""}) == set()
    assert world.hubspot_stats()["requests"] == requests
    assert await conn.store.get_meta("price_tier_options") == kept
