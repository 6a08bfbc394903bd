"""Invoices against both simulators over HTTP: the backfill creates every open invoice with
its company association in the create calls; running again writes nothing; a receipt turns
an invoice paid; the business date moving past a due date turns invoices overdue in batched
writes; paid invoices are archived after their days; a resent create lands on the record the
first one made."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.accredo.models import ARTransaction
from accredo_hubspot.hubspot.models import BatchOutcome, WriteInput
from accredo_hubspot.mapping.config import default_config_text, load_config, parse_config
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.business_date import BusinessDate
from accredo_hubspot.sync.documents import CustomObjects, customer_key
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.invoices import INVOICE_RECORD, InvoiceSpec
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.pipeline import Pipeline
from tests.e2e.world import World, backfilled, running_world, set_up

DEBTORS = 60


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=DEBTORS) as running:
        yield running


@pytest.fixture
async def conn(world: World, tmp_path: Path) -> AsyncIterator[Connector]:
    text = default_config_text().replace(
        "paid_archive_after_days = 30", "paid_archive_after_days = 5"
    )
    config = parse_config(text, "test.toml")
    async with backfilled(world, tmp_path / "state.db", config) as connector:
        yield connector


def invoices(conn: Connector, hubspot: Any = None) -> InvoiceSync:
    """The pass, reading Accredo's business date afresh each time (no minute's cache)."""
    sink = hubspot or conn.hubspot
    spec = InvoiceSpec(
        conn.accredo,
        sink,
        conn.store,
        conn.config,
        BusinessDate(conn.accredo.system_date, max_age_s=0),
        CustomObjects(sink),
    )
    return InvoiceSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, spec=spec)


async def accredo_invoices(
    conn: Connector, paid_days: int | None = None
) -> dict[str, ARTransaction]:
    """TransactionID -> each AR invoice still owing in Accredo (and, with ``paid_days``, those
    paid that many days ago or since)."""
    since = date.max
    if paid_days is not None:
        since = await conn.accredo.system_date() - timedelta(days=paid_days)
    reading = conn.accredo.iter_invoices(paid_since=since)
    return {str(i.TransactionID): i async for i in reading}


def hubspot_invoices(world: World) -> dict[str, dict[str, Any]]:
    """accredo_transaction_id -> the accredo_invoice record (with its companies)."""
    return world.documents("p_accredo_invoice", "accredo_transaction_id")


def by_route(world: World) -> dict[str, int]:
    routes: dict[str, int] = world.hubspot_stats()["by_route"]
    return routes


async def test_backfill_creates_every_open_invoice_on_its_company(
    world: World, conn: Connector
) -> None:
    expected = await accredo_invoices(conn, paid_days=5)
    company_links = await conn.store.get_links("company")
    httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
    report = await invoices(conn).run()
    assert report.failed == 0, report.failures
    assert report.created == len(expected)
    found = hubspot_invoices(world)
    assert set(found) == set(expected)
    for tid, row in expected.items():
        record = found[tid]
        (company,) = record["associations"]["companies"]["results"]
        assert company["id"] == company_links[row.CustomerCode]
        assert Decimal(record["properties"]["amount_outstanding"]) == row.UnallocatedAmount
        paid = row.UnallocatedAmount == 0
        assert (record["properties"]["status"] == "paid") == paid
        assert record["properties"]["invoice_number"] == row.Reference
    routes = by_route(world)
    creates = routes.get("POST /crm/v3/objects/{type}/batch/create", 0)
    assert creates == math.ceil(len(expected) / 100)
    association_writes = [r for r in routes if r.startswith(("POST /crm/v4", "PUT /crm/v4"))]
    assert association_writes == []


async def test_running_again_writes_nothing(world: World, conn: Connector) -> None:
    await invoices(conn).run()
    before = world.hubspot_stats()["writes"]
    again = await invoices(conn).run()
    assert again.writes == 0 and again.archived == 0
    assert world.hubspot_stats()["writes"] == before


async def test_a_receipt_turns_its_invoice_paid_then_archived_after_the_days(
    world: World, conn: Connector
) -> None:
    sync = invoices(conn)
    await sync.run()
    open_rows = await accredo_invoices(conn)
    tid, row = min(open_rows.items(), key=lambda item: int(item[0]))
    code = row.CustomerCode
    owed = sum(
        float(r.UnallocatedAmount or 0) for r in open_rows.values() if r.CustomerCode == code
    )
    world.post_transaction("receipts", code, owed)
    live = Pipeline(sync.spec, conn.store, conn.clock)
    result = await live.sync([customer_key(code)], reason="accredo change")
    assert result.failed == 0
    assert hubspot_invoices(world)[tid]["properties"]["status"] == "paid"
    assert hubspot_invoices(world)[tid]["properties"]["amount_outstanding"] == "0.00"
    httpx.post(f"{world.accredo.url}/_sim/clock/advance", json={"days": 6}).raise_for_status()
    later = await sync.run(reason="daily recompute")
    assert later.archived >= 1
    assert tid not in hubspot_invoices(world)
    assert tid not in await conn.store.get_links(INVOICE_RECORD)


async def test_the_business_date_passing_due_dates_turns_invoices_overdue_in_batches(
    world: World, conn: Connector
) -> None:
    sync = invoices(conn)
    await sync.run()
    before = hubspot_invoices(world)
    httpx.post(f"{world.accredo.url}/_sim/clock/advance", json={"days": 45}).raise_for_status()
    httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
    report = await sync.recompute_if_new_day()
    assert report is not None
    after = hubspot_invoices(world)
    turned = [
        t
        for t in after
        if before[t]["properties"]["status"] == "open"
        and after[t]["properties"]["status"] == "overdue"
    ]
    assert turned, "some invoices fell due in 45 days"
    changed = [t for t in after if after[t]["properties"] != before[t]["properties"]]
    routes = by_route(world)
    assert routes.get("POST /crm/v3/objects/{type}/batch/update", 0) == math.ceil(
        len(changed) / 100
    )
    assert sum(routes.values()) <= math.ceil(len(changed) / 100) + 4  # schema and label reads
    assert await sync.recompute_if_new_day() is None  # once per business day


class CrashAfterCreate:
    """The real client, but the process "dies" right after the first batch create landed."""

    class Died(Exception):
        pass

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def batch_create_unique(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome:
        await self._real.batch_create_unique(object_type, id_property, inputs)
        raise self.Died


async def test_a_create_resent_after_a_crash_becomes_an_update(
    world: World, conn: Connector
) -> None:
    with pytest.raises(CrashAfterCreate.Died):
        await invoices(conn, CrashAfterCreate(conn.hubspot)).run()
    assert await conn.store.get_links(INVOICE_RECORD) == {}
    made = hubspot_invoices(world)
    assert made
    report = await invoices(conn).run()
    assert report.failed == 0
    after = hubspot_invoices(world)
    assert {t: r["id"] for t, r in after.items() if t in made} == {
        t: r["id"] for t, r in made.items()
    }
    assert len(await conn.store.get_links(INVOICE_RECORD)) == len(after)


async def test_an_invoice_waits_for_its_company(world: World, tmp_path: Path) -> None:
    config = load_config(None)
    async with set_up(world, tmp_path / "bare.db", config) as conn:
        report = await invoices(conn).run()
        assert (report.created, report.failed, report.calls) == (0, 0, 0)
        assert report.documents == len(await accredo_invoices(conn, paid_days=30))
        assert await conn.store.dead_letter_count() == 0
        await Backfill(conn.accredo, conn.hubspot, conn.store, config, conn.clock).run()
        later = await invoices(conn).run()
        assert later.created == report.documents


async def test_live_an_invoice_posted_appears_and_turns_paid_on_the_receipt(
    world: World, conn: Connector
) -> None:
    sync = invoices(conn)
    await sync.run()
    live = LiveSync(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, documents=[sync]
    )
    code = sorted(await conn.store.get_links("company"))[5]
    before = set(hubspot_invoices(world))
    world.post_transaction("invoices", code, 1234.5)
    report = await live.cycle()
    assert report.by_type.get("to_hubspot invoice") == 1
    (new,) = set(hubspot_invoices(world)) - before
    record = hubspot_invoices(world)[new]
    assert record["properties"]["status"] == "open"
    assert record["properties"]["amount_outstanding"] == "1234.50"
    owed = sum(
        float(i.UnallocatedAmount or 0)
        for i in (await accredo_invoices(conn)).values()
        if i.CustomerCode == code
    )
    world.post_transaction("receipts", code, owed)
    await live.cycle()
    assert hubspot_invoices(world)[new]["properties"]["status"] == "paid"


async def test_a_customer_with_two_thousand_open_invoices(world: World, conn: Connector) -> None:
    """Issue 10's large customer: 2,000 more open invoices on one debtor are created 100 a
    call, and a receipt against it, brought across live, updates only what it paid, batched."""
    code = next(iter(await conn.store.get_links("company")))
    posted = httpx.post(
        f"{world.accredo.url}/_sim/post/invoices",
        json={"items": [{"CustomerCode": code, "Amount": 10.0 + i % 7} for i in range(2000)]},
        timeout=120,
    )
    posted.raise_for_status()
    expected = await accredo_invoices(conn, paid_days=5)
    assert sum(1 for row in expected.values() if row.CustomerCode == code) >= 2000
    httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
    sync = invoices(conn)
    report = await sync.run()
    assert report.failed == 0 and report.created == len(expected)
    routes = by_route(world)
    assert routes.get("POST /crm/v3/objects/{type}/batch/create", 0) == math.ceil(
        len(expected) / 100
    )

    world.post_transaction("receipts", code, 250.0)  # allocated to the oldest few
    httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
    live = Pipeline(sync.spec, conn.store, conn.clock)
    result = await live.sync([customer_key(code)], reason="accredo change")
    assert result.failed == 0 and 1 <= result.updated < 100
    routes = by_route(world)
    assert routes.get("POST /crm/v3/objects/{type}/batch/update", 0) == 1
    assert routes.get("POST /crm/v3/objects/{type}/batch/create", 0) == 0


async def test_a_poll_on_the_same_business_date_reads_no_meta(
    conn: Connector, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = invoices(conn)
    await sync.run()
    reads: list[str] = []
    real = conn.store.get_meta

    async def counted(key: str) -> str | None:
        reads.append(key)
        return await real(key)

    monkeypatch.setattr(conn.store, "get_meta", counted)
    assert not await sync.due()
    assert not await sync.due()
    assert reads == [], "the date this process saw passed is remembered"
    fresh = invoices(conn)  # another process: asks the store once, then remembers
    assert not await fresh.due()
    assert not await fresh.due()
    assert reads == [sync.meta_key]
