"""End to end: drift made by editing a HubSpot property by hand is found by ``reconcile``,
repaired by ``reconcile --repair``, and by ``run`` on its own once its interval has passed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accredo_hubspot.mapping.config import default_config_text, load_config
from accredo_hubspot.runtime import connect
from accredo_hubspot.store import StateStore
from accredo_hubspot.sync.live import RECONCILED_AT_KEY, LiveSync
from tests.e2e.operate import invoke, invoke_json, prepare, reset_stats, user_edits_company
from tests.e2e.world import World, cents, links_with_via, running_world

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_logging")]

LIMIT = "accredo_credit_limit"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=30) as running:
        yield running


def test_a_hand_edit_is_found_and_repaired(world: World, tmp_path: Path) -> None:
    world.reset()
    database = tmp_path / "state.db"
    env = world.env(database)
    customers = asyncio.run(prepare(world, database))
    assert invoke(["backfill"], env, tmp_path)[0] == 0
    assert invoke_json(["reconcile"], env, tmp_path)["drift"] == []
    debtor = next(c for c in customers if c.CreditLimit)
    company_id = links_with_via(database)[debtor.CustomerCode][0]
    # A HubSpot user overwrites an Accredo-owned value, and renames the company (HubSpot's).
    user_edits_company(world, company_id, {LIMIT: "1", "name": "Renamed by sales"})
    reset_stats(world)

    found = invoke_json(["reconcile"], env, tmp_path)

    assert world.hubspot_stats()["writes"] == 0
    assert found["counts"] == {LIMIT: 1}
    assert found["drift"] == [
        {
            "side": "hubspot",
            "record": debtor.CustomerCode,
            "field": LIMIT,
            "expected": cents(debtor.CreditLimit),
            "actual": "1",
        }
    ]
    assert found["compared"] == len(customers)
    code, out, _ = invoke(["reconcile"], env, tmp_path)
    assert code == 0 and LIMIT in out and debtor.CustomerCode in out

    repaired = invoke_json(["reconcile", "--repair"], env, tmp_path)

    assert repaired["repaired"] == {"written": 1, "calls": 1, "failed": []}
    company = world.companies([LIMIT, "name"])[company_id]
    assert company[LIMIT] == cents(debtor.CreditLimit)
    assert company["name"] == "Renamed by sales"  # not Accredo's to repair
    assert invoke_json(["reconcile"], env, tmp_path)["drift"] == []
    with StateStore.open(f"sqlite:///{database}") as store:
        newest = store.list_audit("company", debtor.CustomerCode)[0]
    assert newest.source == "reconcile"
    assert newest.changes == {LIMIT: ("1", cents(debtor.CreditLimit))}


def test_run_reconciles_by_itself_once_its_interval_has_passed(
    world: World, tmp_path: Path
) -> None:
    world.reset()
    database = tmp_path / "state.db"
    env = world.env(database)
    customers = asyncio.run(prepare(world, database))
    assert invoke(["backfill"], env, tmp_path)[0] == 0
    debtor = next(c for c in customers if c.CreditLimit)
    company_id = links_with_via(database)[debtor.CustomerCode][0]
    user_edits_company(world, company_id, {LIMIT: "2"})
    config = load_config(None)

    async def cycle(interval_h: float) -> None:
        mapping = replace(config, sync=replace(config.sync, reconcile_interval_h=interval_h))
        async with connect(world.settings(database), mapping) as conn:
            live = LiveSync(conn.accredo, conn.hubspot, conn.store, mapping, conn.clock)
            await live.run(asyncio.Event(), once=True)  # one cycle, its leases given back

    asyncio.run(cycle(24))  # the first poll starts the interval
    assert world.companies([LIMIT])[company_id][LIMIT] == "2"
    asyncio.run(cycle(0))  # off
    assert world.companies([LIMIT])[company_id][LIMIT] == "2"
    with StateStore.open(f"sqlite:///{database}") as store:
        store.set_meta(RECONCILED_AT_KEY, (datetime.now(UTC) - timedelta(hours=25)).isoformat())
    asyncio.run(cycle(24))
    assert world.companies([LIMIT])[company_id][LIMIT] == cents(debtor.CreditLimit)


HUBSPOT_RULE = """
[[company_fields]]
hubspot = "industry"
accredo = "Category1"
master = "hubspot"
transform = "text"
"""


def test_a_field_hubspot_masters_is_compared_and_repaired_onto_the_debtor(
    world: World, tmp_path: Path
) -> None:
    world.reset()
    database = tmp_path / "state.db"
    env = world.env(database)
    site = tmp_path / "site.toml"
    site.write_text(default_config_text() + HUBSPOT_RULE, encoding="utf-8")
    customers = asyncio.run(prepare(world, database))
    assert invoke(["backfill", "--config", str(site)], env, tmp_path)[0] == 0
    debtor = customers[2].CustomerCode
    company_id = links_with_via(database)[debtor][0]
    # Sales sets the industry in HubSpot while no webhook reaches the connector.
    user_edits_company(world, company_id, {"industry": "RETAIL"})

    found = invoke_json(["reconcile", "--config", str(site)], env, tmp_path)

    (drift,) = [d for d in found["drift"] if d["record"] == debtor and d["side"] == "accredo"]
    assert (drift["field"], drift["expected"], drift["actual"] or "") == ("Category1", "RETAIL", "")
    assert {d["side"] for d in found["drift"]} == {"accredo"}  # Accredo's side agrees

    invoke_json(["reconcile", "--repair", "--config", str(site)], env, tmp_path)

    async def category() -> object:
        async with connect(world.settings(database), load_config(site)) as conn:
            (customer,) = await conn.accredo.get_customers([debtor])
        return (customer.model_extra or {}).get("Category1")

    assert asyncio.run(category()) == "RETAIL"
    again = invoke_json(["reconcile", "--config", str(site)], env, tmp_path)
    assert [d for d in again["drift"] if d["record"] == debtor] == []
    with StateStore.open(f"sqlite:///{database}") as store:
        newest = store.list_audit("company", company_id)[0]
    assert (newest.side, newest.source, newest.remote_id) == ("accredo", "reconcile", debtor)
    assert newest.changes["Category1"][1] == "RETAIL"
    origins = invoke_json(["explain", debtor], env, tmp_path)
    (category_origin,) = [o for o in origins if o["field"] == "Category1"]
    assert (category_origin["side"], category_origin["new"]) == ("accredo", "RETAIL")
