"""A Professional portal (no custom objects) over HTTP: setup's summary properties, and the
backfill and live sync filling them on each company from the debtor's open invoices, and its
last orders as text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import pytest

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.mapping.invoices import invoice_summary
from accredo_hubspot.runtime import Connector, connect
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.document_syncs import document_syncs
from accredo_hubspot.sync.documents import CustomObjects, documents_config
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.setup import run_setup
from tests.e2e.world import World, running_world

SUMMARY = [
    "accredo_open_invoice_count",
    "accredo_oldest_open_invoice_number",
    "accredo_oldest_open_invoice_date",
    "accredo_overdue_invoices",
]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=40, tier="professional") as running:
        yield running


@pytest.fixture
async def conn(world: World, tmp_path: Path) -> AsyncIterator[Connector]:
    world.reset()
    config = load_config(None)
    async with connect(world.settings(tmp_path / "state.db"), config) as connector:
        setup = await run_setup(connector.hubspot, config)
        assert not setup.objects.custom_objects
        connector.config = await documents_config(CustomObjects(connector.hubspot), config)
        yield connector


async def test_backfill_and_live_fill_the_summary_on_the_company(
    world: World, conn: Connector
) -> None:
    assert not conn.config.documents.custom_objects
    documents = await document_syncs(
        conn.accredo,
        conn.hubspot,
        conn.store,
        conn.config,
        conn.clock,
        CustomObjects(conn.hubspot),
    )
    assert documents == []  # no invoice or order records: their summaries are company values
    await Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock).run()
    links = await conn.store.get_links("company")
    today = await conn.accredo.system_date()
    codes = sorted(links)
    transactions = await conn.accredo.open_transactions(codes)
    companies = world.companies(SUMMARY)
    for code in codes:
        mine = [t for t in transactions if t.CustomerCode == code]
        wanted = invoice_summary(mine, today)
        company = companies[links[code]]
        assert company["accredo_open_invoice_count"] == str(wanted["accredo_open_invoice_count"])
        assert (company["accredo_overdue_invoices"] or "") == wanted["accredo_overdue_invoices"]
        oldest = wanted["accredo_oldest_open_invoice_date"]
        shown = company["accredo_oldest_open_invoice_date"]
        assert shown == (oldest.isoformat() if isinstance(oldest, date) else None), code
    code = codes[3]
    before = int(companies[links[code]]["accredo_open_invoice_count"] or 0)
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    world.post_transaction("invoices", code, 321.0)
    entered = world.enter_order(code, [("PAINT-WB-4L", 2, 89.0)])
    await live.cycle()
    after = world.companies([*SUMMARY, "accredo_last_orders", "accredo_orders_12m_count"])
    assert after[links[code]]["accredo_open_invoice_count"] == str(before + 1)
    last = (after[links[code]]["accredo_last_orders"] or "").splitlines()
    assert last[0].startswith(f"{entered}  {today.isoformat()}  $204.70 incl. GST  Open")
    assert int(after[links[code]]["accredo_orders_12m_count"] or 0) == len(last)
