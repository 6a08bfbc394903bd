"""End to end: ``explain`` names the delta table and ``DeltaID`` of the change behind a value,
when it was read and written, in which call, and its old and new value."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from accredo_hubspot.store import StateStore
from tests.e2e.operate import invoke, invoke_json, prepare
from tests.e2e.world import running_world

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_logging")]

BALANCE = "accredo_balance_total"


def test_explain_names_the_delta_id_of_a_change(tmp_path: Path) -> None:
    with running_world(customers=20) as world:
        database = tmp_path / "state.db"
        env = world.env(database)
        customers = asyncio.run(prepare(world, database))
        assert invoke(["backfill"], env, tmp_path)[0] == 0
        code = customers[5].CustomerCode
        with StateStore.open(f"sqlite:///{database}") as store:
            before = store.get_cursors()
        world.post_transaction("invoices", code, 250.0)
        ran, _, err = invoke(["run", "--once"], env, tmp_path)
        assert ran == 0, err
        with StateStore.open(f"sqlite:///{database}") as store:
            after = store.get_cursors()

        origins = invoke_json(["explain", code.lower()], env, tmp_path)
        history = invoke_json(["explain", code, BALANCE], env, tmp_path)
        _, table, _ = invoke(["explain", code, BALANCE], env, tmp_path)
        unknown, _, err = invoke(["explain", code, "no_such_property"], env, tmp_path)

    balance = next(o for o in origins if o["field"] == BALANCE)
    table_name, delta_id_text = balance["source"].split(" DeltaID ")[0], balance["source"]
    delta_id = int(delta_id_text.split("DeltaID ")[1].split()[0])
    assert before[table_name] < delta_id <= after[table_name]  # read by this run
    assert balance["old"] is not None and balance["new"] != balance["old"]
    assert balance["read_at"] <= balance["written_at"]
    action, correlation = balance["call"].split()
    assert action == "batch/update" and len(correlation) >= 32  # HubSpot's id of the request
    assert [o["source"] for o in history] == [balance["source"], "backfill"]
    assert history[1]["new"] == balance["old"]
    assert "DeltaID" in table
    assert unknown == 1 and "no write of no_such_property" in err


def test_explain_of_a_record_never_written_says_so(tmp_path: Path) -> None:
    env = {"ACCREDO_HUBSPOT_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}
    code, _, err = invoke(["explain", "NOBODY"], env, tmp_path)
    assert code == 1
    assert "NOBODY" in err
