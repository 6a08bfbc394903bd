"""End to end: a state database of the release before Alembic, upgraded in place, carries on.

The world is the one the fixture was made in (``tests/e2e/v1_world.py``): the same debtors and
changes in Accredo, and HubSpot holding the companies the fixture links to. After the upgrade a
backfill finds every value that release wrote in agreement: it writes only the company values
added since (the price tier and the order rollups), once, and a second backfill sends no write;
live sync continues from the stored cursors: a change made now reaches HubSpot, the queued
records are drained.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import connect
from accredo_hubspot.store import StateStore
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.setup import run_setup
from tests.e2e import v1_world
from tests.e2e.world import cents, running_world

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parents[1] / "fixtures" / "state-v1.sqlite"
#: Company values the connector writes that the release before Alembic did not have.
ADDED_SINCE_V1 = {
    "accredo_price_tier",
    "accredo_orders_12m_count",
    "accredo_average_order_value",
    "accredo_last_order_date",
    "accredo_top_skus",
}


async def test_an_upgraded_v1_database_backfills_nothing_and_live_sync_continues(
    tmp_path: Path,
) -> None:
    database = tmp_path / "state.db"
    shutil.copyfile(FIXTURE, database)
    with StateStore.open(f"sqlite:///{database}") as store:  # the upgrade
        links = store.get_links(COMPANY_RECORD)
        shadows = store.get_shadows("hubspot", COMPANY_RECORD)
        stored_cursors = store.get_cursors()
    config = load_config(None)
    with running_world(customers=v1_world.CUSTOMERS, accredo=v1_world.accredo_config()) as world:
        v1_world.accredo_changes(world)
        async with connect(world.settings(database), config) as conn:
            conn.clock = v1_world.clock()
            await run_setup(conn.hubspot, config)
            companies = {links[code]: shadows[code] for code in links}
            assert v1_world.recreate_companies(world, companies) == sorted(companies, key=int)
            writes_before = world.hubspot_stats()["writes"]

            audited = len(conn.store.sync.list_audit(COMPANY_RECORD, limit=10_000))
            backfill = Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
            first = await backfill.run()
            assert (first.debtors, first.failed) == (12, 0)
            audit = conn.store.sync.list_audit(COMPANY_RECORD, limit=10_000)
            audit = audit[: len(audit) - audited]  # newest first: this backfill's entries
            assert len(audit) == first.writes > 0
            written = {name for entry in audit for name in entry.changes}
            assert written <= ADDED_SINCE_V1, written - ADDED_SINCE_V1
            assert all(
                name not in shadows[entry.record_key] for entry in audit for name in entry.changes
            ), "no value the release before Alembic wrote is written again"
            writes_before = world.hubspot_stats()["writes"]
            report = await backfill.run()
            assert (report.debtors, report.unchanged, report.writes) == (12, 12, 0)
            assert world.hubspot_stats()["writes"] == writes_before
            assert conn.store.sync.get_cursors() == stored_cursors

            world.post_transaction("invoices", "NGATAT", 250.0)
            live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
            cycle = await live.cycle()
            balance = conn.store.sync.get_shadows("hubspot", COMPANY_RECORD, ["NGATAT"])["NGATAT"]
            cursors = conn.store.sync.get_cursors()
            queue_depth = conn.store.sync.queue_depth()
        in_hubspot = world.companies(["accredo_balance_total"])[links["NGATAT"]]
    assert cycle.delta_rows > 0, "the cycle read the rows after the stored cursors"
    assert cycle.processed == 3  # the two records queued in the fixture, and NGATAT
    assert cycle.writes is not None and cycle.writes.updated == 1
    assert cursors["ARDELTA"] > stored_cursors["ARDELTA"]
    assert cursors["INDELTA"] > stored_cursors["INDELTA"]
    assert queue_depth == 0
    new_total = float(shadows["NGATAT"]["accredo_balance_total"]) + 250.0
    assert balance["accredo_balance_total"] == cents(new_total)
    assert in_hubspot["accredo_balance_total"] == cents(new_total)
