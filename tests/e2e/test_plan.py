"""End to end: ``plan --json`` lists exactly the writes the backfill after it makes, and the
contacts it queues, and makes none itself (the simulators' counters and the state store prove
it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accredo_hubspot.mapping.identity import debtor_nzbn
from accredo_hubspot.store import StateStore
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.invoices import INVOICE_RECORD
from accredo_hubspot.sync.orders import ORDER_RECORD
from tests.e2e.operate import invoke, invoke_json, prepare, reset_stats
from tests.e2e.world import World, links_with_via, running_world, sim_stats, user_creates

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_logging")]

DEBTORS = 40
CODE = "accredo_customer_code"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=DEBTORS) as running:
        yield running


def _writes(rows: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    return {(row["record"], row["field"], row["new"]) for row in rows}


def test_plan_lists_exactly_what_the_backfill_then_writes(world: World, tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    env = world.env(database)
    customers = asyncio.run(prepare(world, database))
    # A HubSpot user already has one debtor's company (found by NZBN), with another limit.
    known = next(c for c in customers if debtor_nzbn(c) and c.CreditLimit)
    company_id = world.user_creates_company(
        {
            "name": known.CustomerName or "",
            "nzbn": debtor_nzbn(known) or "",
            "accredo_credit_limit": "1",
        }
    )
    for n in range(2):  # its contacts, which the backfill queues for Accredo
        contact = {"email": f"ap{n}@example.co.nz"}
        user_creates(world.hubspot.url, "contacts", contact, to=company_id, type_id=1)
    reset_stats(world)

    code, out, err = invoke(["plan", "--json"], env, tmp_path)
    assert code == 0, err
    rows = json.loads(out)  # stdout stays the JSON list; the contacts line is on stderr

    assert world.hubspot_stats()["writes"] == 0
    accredo_routes = sim_stats(world.accredo)["by_route"]
    token_calls = ("POST token", "DELETE")  # signing in and out is no write
    assert [r for r in accredo_routes if not r.startswith(("GET", *token_calls))] == []
    with StateStore.open(f"sqlite:///{database}") as store:
        state = store.status()
        assert (state.links, state.cursors, state.queue_depth) == (0, {}, 0)
        assert store.list_audit() == []
        assert store.get_meta("backfill_completed_at") is None
    assert {frozenset(row) for row in rows} == {
        frozenset({"side", "record", "action", "field", "old", "new", "why"})
    }
    options = [row for row in rows if row["field"] == "option"]
    rows = [row for row in rows if row["field"] != "option"]
    assert options, "the price tier property is created with Accredo's price codes"
    assert {(row["record"], row["action"]) for row in options} == {("accredo_price_tier", "create")}
    assert {row["side"] for row in rows} == {"hubspot"}
    documents = {
        kind: [row for row in rows if row["why"].startswith(f"{kind}: ")]
        for kind in (INVOICE_RECORD, ORDER_RECORD)
    }
    invoice_rows = documents[INVOICE_RECORD]
    assert invoice_rows, "the seeded debtors have open invoices"
    assert {row["action"] for row in invoice_rows} == {"create"}
    assert {row["action"] for row in documents[ORDER_RECORD]} == {"create"}
    rows = [row for row in rows if not any(row in listed for listed in documents.values())]
    fields = {row["field"] for row in rows}
    assert "accredo_orders_12m_count" in fields, "every company gets its order rollups"
    assert "accredo_price_tier" in fields, "and its price tier"
    by_record = {row["record"]: row["action"] for row in rows}
    assert len(by_record) == DEBTORS
    assert by_record.pop(known.CustomerCode) == "update"
    assert set(by_record.values()) == {"create"}
    limit = next(
        r
        for r in rows
        if r["record"] == known.CustomerCode and r["field"] == "accredo_credit_limit"
    )
    assert limit["old"] == "1" and limit["new"] != "1"
    assert "nzbn" in limit["why"]

    (contacts,) = [line for line in err.splitlines() if line.startswith("contacts: ")]
    assert contacts.startswith("contacts: 2 of the linked companies would be queued for Accredo")

    code, backfilled, err = invoke(["backfill"], env, tmp_path)
    assert code == 0, err
    assert contacts.replace("would be queued", "queued") in backfilled.splitlines()
    created_options = world.company_property("accredo_price_tier")["options"]
    assert {o["value"] for o in created_options} == {row["new"] for row in options}

    with StateStore.open(f"sqlite:///{database}") as store:
        audit = store.list_audit(limit=10_000)
        invoice_links = store.get_links(INVOICE_RECORD)
    written = {
        (e.record_type, e.record_key, name, new)
        for e in audit
        for name, (_, new) in e.changes.items()
    }
    planned = {(COMPANY_RECORD, *write) for write in _writes(rows)}
    planned |= {(kind, *write) for kind, listed in documents.items() for write in _writes(listed)}
    assert written == planned
    assert {row["record"] for row in invoice_rows} == set(invoice_links)
    links = links_with_via(database)
    assert links[known.CustomerCode] == (company_id, "nzbn")
    companies = world.companies(sorted({row["field"] for row in rows}))
    for row in rows:
        assert companies[links[row["record"]][0]][row["field"]] == (row["new"] or None), row
    created = {code for code, (_, via) in links.items() if via == "new"}
    assert created == {row["record"] for row in rows if row["action"] == "create"}


def test_plan_after_a_change_lists_only_that_change(world: World, tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    env = world.env(database)
    customers = asyncio.run(prepare(world, database))
    assert invoke(["backfill"], env, tmp_path)[0] == 0
    assert invoke_json(["plan"], env, tmp_path) == []
    code = customers[3].CustomerCode
    world.edit_customer(code, {"CreditLimit": 12345.5})
    reset_stats(world)

    (row,) = invoke_json(["plan"], env, tmp_path)

    assert world.hubspot_stats()["writes"] == 0
    assert (row["record"], row["action"], row["field"], row["new"]) == (
        code,
        "update",
        "accredo_credit_limit",
        "12345.50",
    )
    assert row["why"] == "Accredo's value differs from the value last written"
    _, out, _ = invoke(["plan"], env, tmp_path)
    assert "12345.50" in out and code in out
    assert "would be queued for Accredo" in out  # after the table, on stdout without --json
