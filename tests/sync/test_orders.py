"""Orders against both simulators over HTTP: the debtors' backfill writes each company's order
rollups with the company; the order pass creates each customer's last orders with their
company association in the create calls; running again writes nothing; an order entered in
Accredo reaches HubSpot through the change feed (its object and the company's rollups); an
order pushed out of the last N, or out of the window by the business date, is archived and the
rollups follow the window; without custom objects the last orders go on the company as text;
run keeps its leases while the daily pass works."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.mapping.config import MappingConfig, default_config_text, parse_config
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.document_syncs import document_syncs
from accredo_hubspot.sync.documents import CustomObjects, DocumentReport, documents_config
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.orders import ORDER_RECORD, OrderSync
from accredo_hubspot.sync.worker import ACCREDO_POLL_LEASE
from tests.e2e.world import World, backfilled, running_world

DEBTORS = 40
#: A worker lease short enough for a pass to outlast it.
LEASE_S = 0.5
ROLLUPS = [
    "accredo_customer_code",
    "accredo_orders_12m_count",
    "accredo_average_order_value",
    "accredo_last_order_date",
    "accredo_top_skus",
    "accredo_last_orders",
]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=DEBTORS) as running:
        yield running


def config_with(**documents: object) -> MappingConfig:
    text = default_config_text()
    for name, value in documents.items():
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{name} = "))
        text = text.replace(line, f"{name} = {str(value).lower()}")
    return parse_config(text, "test.toml")


@pytest.fixture
async def conn(world: World, tmp_path: Path) -> AsyncIterator[Connector]:
    async with backfilled(world, tmp_path / "state.db", config_with(orders_per_customer=2)) as c:
        yield c


def orders(conn: Connector) -> OrderSync:
    sync = OrderSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    sync.business_date._max_age_s = 0  # read Accredo's date afresh each time
    return sync


def hubspot_orders(world: World) -> dict[str, dict[str, Any]]:
    """accredo_document_id -> the accredo_order record (with its companies)."""
    return world.documents("p_accredo_order", "accredo_document_id")


async def accredo_orders(conn: Connector, sync: OrderSync) -> dict[str, list[Any]]:
    """Customer code -> its orders in the window, newest first (read here, not by the sync)."""
    await sync.business_date.refresh()
    found: dict[str, list[Any]] = defaultdict(list)
    async for order in conn.accredo.iter_orders(since=sync.window.since()):
        found[order.CustomerCode].append(order)
    for listed in found.values():
        listed.sort(key=lambda o: (o.DocumentDate, o.DocumentID), reverse=True)
    return found


async def test_backfill_brings_each_customers_last_orders_and_rollups(
    world: World, conn: Connector
) -> None:
    sync = orders(conn)
    expected = await accredo_orders(conn, sync)
    links = await conn.store.get_links("company")
    assert await conn.store.get_shadows("hubspot", "company_orders") == {}, "one record type"
    httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
    report = await sync.run()
    assert report.failed == 0, report.failures
    kept = {str(o.DocumentID): o for listed in expected.values() for o in listed[:2]}
    assert kept and any(len(listed) > 2 for listed in expected.values()), "seed covers top N"
    found = hubspot_orders(world)
    assert set(found) == set(kept)
    for document_id, order in kept.items():
        record = found[document_id]
        (company,) = record["associations"]["companies"]["results"]
        assert company["id"] == links[order.CustomerCode]
        assert Decimal(record["properties"]["total_excl_gst"]) == order.ExclusiveAmountOrdered
        assert record["properties"]["line_count"] == str(len(order.Line))
        biggest = max(order.Line, key=lambda ln: ln.ExclusiveAmountOrdered)
        assert record["properties"]["top_lines"].startswith(biggest.ProductCode)
    companies = world.companies(ROLLUPS)
    by_code = {c["accredo_customer_code"]: c for c in companies.values()}
    for code, listed in expected.items():
        company = by_code[code]
        assert company["accredo_orders_12m_count"] == str(len(listed))
        total = sum(o.ExclusiveAmountOrderedBs for o in listed)  # base currency (AUD ones)
        assert Decimal(company["accredo_average_order_value"] or "0") == (
            total / len(listed)
        ).quantize(Decimal("0.01"))
        assert company["accredo_last_order_date"] == str(listed[0].DocumentDate)
        by_sku: dict[str, Decimal] = defaultdict(Decimal)
        for order in listed:
            for line in order.Line:
                by_sku[line.ProductCode] += line.ExclusiveAmountOrdered
        top = max(by_sku, key=lambda sku: by_sku[sku])
        assert (company["accredo_top_skus"] or "").split(", ")[0] == top
        assert not company.get("accredo_last_orders")  # custom objects: the records carry them
    idle = [c for c in by_code.values() if c["accredo_customer_code"] not in expected]
    assert idle and all(c["accredo_orders_12m_count"] == "0" for c in idle)
    routes = world.hubspot_stats()["by_route"]
    assert routes.get("POST /crm/v3/objects/{type}/batch/create", 0) == math.ceil(len(kept) / 100)
    assert not [r for r in routes if r.startswith(("POST /crm/v4", "PUT /crm/v4"))]
    before = world.hubspot_stats()["writes"]
    again = await orders(conn).run()
    assert (again.writes, again.archived, again.failed) == (0, 0, 0)
    assert world.hubspot_stats()["writes"] == before


async def test_an_order_entered_reaches_hubspot_live_and_pushes_the_oldest_out(
    world: World, conn: Connector
) -> None:
    sync = orders(conn)
    await sync.run()
    live = LiveSync(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, documents=[sync]
    )
    expected = await accredo_orders(conn, sync)
    code = next(c for c, listed in expected.items() if len(listed) >= 2)
    oldest_kept = str(expected[code][1].DocumentID)
    assert oldest_kept in hubspot_orders(world)
    new = world.enter_order(code, [("ZZ-WIDGET", 400, 25.0), ("PAINT-WB-4L", 1, 89.0)])
    report = await live.cycle()
    assert report.by_type.get("to_hubspot order") == 1
    assert report.by_type.get("to_hubspot company") == 1
    record = hubspot_orders(world)[str(new)]
    assert record["properties"]["total_excl_gst"] == "10089.00"
    assert record["properties"]["line_count"] == "2"
    assert record["properties"]["top_lines"].splitlines()[0].startswith("ZZ-WIDGET  400")
    company = next(
        c for c in world.companies(ROLLUPS).values() if c["accredo_customer_code"] == code
    )
    assert company["accredo_orders_12m_count"] == str(len(expected[code]) + 1)
    assert (company["accredo_top_skus"] or "").startswith("ZZ-WIDGET")
    assert company["accredo_last_order_date"] == str(await conn.accredo.system_date())
    # The entered order pushed the oldest of the last two out: archived in the same cycle.
    assert oldest_kept not in hubspot_orders(world)
    assert oldest_kept not in await conn.store.get_links(ORDER_RECORD)
    assert set(hubspot_orders(world)) == set(await conn.store.get_links(ORDER_RECORD))
    quiet = await live.cycle()  # nothing changed: nothing written, nothing archived
    assert quiet.processed == 0
    httpx.post(f"{world.accredo.url}/_sim/clock/advance", json={"days": 1}).raise_for_status()
    later = await sync.recompute_if_new_day()
    assert later is not None and later.archived == 0  # nothing left for the daily pass


async def test_orders_leaving_the_window_are_archived_and_rollups_cleared(
    world: World, conn: Connector
) -> None:
    sync = orders(conn)
    await sync.run()
    assert hubspot_orders(world)
    live = LiveSync(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, documents=[sync]
    )
    await live.cycle()  # the daily chores' first day
    httpx.post(f"{world.accredo.url}/_sim/clock/advance", json={"days": 400}).raise_for_status()
    await live.cycle()  # a new business day: every company recomputed, the order pass again
    assert await conn.store.list_dead_letters() == []
    assert hubspot_orders(world) == {}
    assert await conn.store.get_links(ORDER_RECORD) == {}
    companies = world.companies(ROLLUPS).values()
    assert {c["accredo_orders_12m_count"] for c in companies if c["accredo_customer_code"]} == {"0"}
    assert not any(c["accredo_top_skus"] for c in companies)


async def test_a_start_lists_the_portals_custom_objects_once(world: World, conn: Connector) -> None:
    """As `run` and `backfill` start: whether setup made the custom objects, then each pass's."""
    httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
    objects = CustomObjects(conn.hubspot)
    config = await documents_config(objects, conn.config)
    syncs = await document_syncs(
        conn.accredo, conn.hubspot, conn.store, config, conn.clock, objects
    )
    assert [sync.name for sync in syncs] == ["invoices", "orders"]
    for sync in syncs:
        await sync.run()
    routes = world.hubspot_stats()["by_route"]
    assert routes["GET /crm-object-schemas/v3/schemas"] == 1
    assert routes["GET /crm/v4/associations/{from}/{to}/labels"] == 2  # one per object


async def test_without_custom_objects_the_last_orders_go_on_the_company(
    world: World, tmp_path: Path
) -> None:
    config = config_with(custom_objects=False)
    async with backfilled(world, tmp_path / "state.db", config) as conn:
        assert (
            await document_syncs(
                conn.accredo,
                conn.hubspot,
                conn.store,
                config,
                conn.clock,
                CustomObjects(conn.hubspot),
            )
            == []
        )
        expected = await accredo_orders(conn, orders(conn))
        by_code = {c["accredo_customer_code"]: c for c in world.companies(ROLLUPS).values()}
        code, listed = max(expected.items(), key=lambda item: len(item[1]))
        text = (by_code[code]["accredo_last_orders"] or "").splitlines()
        assert len(text) == min(len(listed), 20)
        assert text[0].startswith(f"{listed[0].DocumentID}  {listed[0].DocumentDate}  $")
        assert by_code[code]["accredo_orders_12m_count"] == str(len(listed))


class SlowOrderSync(OrderSync):
    """The real pass, whose end outlasts the worker's lease several times over; it then
    looks whether another process could take the Accredo poll."""

    taken_by_another: bool | None = None

    async def finish(self, report: DocumentReport, reason: str) -> None:
        await super().finish(report, reason)
        await asyncio.sleep(LEASE_S * 4)
        self.taken_by_another = await self._store.acquire_lease(
            ACCREDO_POLL_LEASE, "elsewhere:1:other", 600
        )


async def test_a_long_daily_pass_keeps_the_poll_lease(world: World, tmp_path: Path) -> None:
    config = config_with(worker_lease_s=LEASE_S)
    async with backfilled(world, tmp_path / "state.db", config) as conn:
        slow = SlowOrderSync(conn.accredo, conn.hubspot, conn.store, config, conn.clock)
        live = LiveSync(
            conn.accredo, conn.hubspot, conn.store, config, conn.clock, documents=[slow]
        )
        await live.cycle()  # the first poll: the pass has not run for this business day
        assert slow.taken_by_another is False
        assert (await conn.store.lease_holder(ACCREDO_POLL_LEASE) or ("",))[0] == live.worker.owner
        await live.worker.stop()
