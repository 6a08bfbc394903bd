"""End to end, the commands over real HTTP: `setup` and `backfill` bring each customer's last
orders and the price tiers across; then the accounts team enters an order and adds a price
list that a customer is moved to, and one `run --once` brings the order's record, the
company's rollups, the new price tier option and the customer's tier to HubSpot; running
again writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accredo_hubspot.accredo.models import PriceList
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import connect
from tests.e2e.operate import invoke
from tests.e2e.world import World, running_world
from tests.logging_reset import restored_logging

pytestmark = pytest.mark.slow

DEBTORS = 30
ROLLUPS = ["accredo_orders_12m_count", "accredo_last_order_date", "accredo_top_skus"]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=DEBTORS) as running:
        yield running


def price_tier_options(world: World) -> dict[str, str]:
    return {o["value"]: o["label"] for o in world.company_property("accredo_price_tier")["options"]}


def cli(world: World, database: Path, *args: str) -> str:
    """A command's output; run in this process (typer's runner), not a process of its own."""
    with restored_logging():
        code, out, err = invoke(list(args), world.env(database), database.parent)
    assert code == 0, err
    return out


async def _after_backfill(
    world: World, database: Path
) -> tuple[list[PriceList], dict[str, str], str]:
    """Accredo's price lists, the company links, and Accredo's business date."""
    async with connect(world.settings(database), load_config(None)) as conn:
        price_lists = await conn.accredo.price_lists()
        links = await conn.store.get_links("company")
        today = (await conn.accredo.system_date()).isoformat()
    return price_lists, links, today


def test_an_order_and_a_price_code_entered_in_accredo_reach_hubspot(
    world: World, tmp_path: Path
) -> None:
    database = tmp_path / "state.db"
    cli(world, database, "setup")
    backfilled = cli(world, database, "backfill")
    assert "orders: " in backfilled, backfilled
    price_lists, links, today = asyncio.run(_after_backfill(world, database))
    before_options = price_tier_options(world)
    assert before_options == {p.PriceCode: p.PriceListName for p in price_lists}
    code = sorted(links)[7]
    company_id = links[code]
    before = world.companies(ROLLUPS)[company_id]

    document_id = world.enter_order(code, [("ZZ-E2E-TOP", 40, 250.0), ("PAINT-WB-4L", 1, 89.0)])
    added = httpx.post(
        f"{world.accredo.url}/_sim/price-lists",
        json={"PriceCode": "VIP", "PriceListName": "VIP customers", "PriceListGstBasis": "E"},
    )
    added.raise_for_status()
    world.edit_customer(code, {"PriceCode": "VIP"})
    cli(world, database, "run", "--once")

    orders = world.documents("p_accredo_order", "accredo_document_id")
    record = orders[str(document_id)]
    assert record["properties"]["total_excl_gst"] == "10089.00"
    assert [c["id"] for c in record["associations"]["companies"]["results"]] == [company_id]
    after = world.companies([*ROLLUPS, "accredo_price_tier"])[company_id]
    assert after["accredo_orders_12m_count"] == str(
        int(before["accredo_orders_12m_count"] or 0) + 1
    )
    assert after["accredo_last_order_date"] == today
    assert (after["accredo_top_skus"] or "").startswith("ZZ-E2E-TOP")
    options = price_tier_options(world)
    assert options == {**before_options, "VIP": "VIP customers"}  # merged, none replaced
    assert after["accredo_price_tier"] == "VIP"

    writes = world.hubspot_stats()["writes"]
    cli(world, database, "run", "--once")
    assert world.hubspot_stats()["writes"] == writes
