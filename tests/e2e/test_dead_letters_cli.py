"""End to end: the ``dead-letters`` commands. A letter is listed and shown with its payload;
a replay that fails again stays open with the new reason; corrected with ``--set`` and
replayed, it lands; a discard closes a letter; every action is in the audit log."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from accredo_hubspot.store import StateStore
from tests.e2e.operate import invoke, prepare
from tests.e2e.world import (
    INDUSTRY_CODE,
    World,
    create_industry_code,
    links_with_via,
    running_world,
    write_industry_site,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_logging")]


def _open(database: Path) -> StateStore:
    return StateStore.open(f"sqlite:///{database}")


def test_a_dead_letter_corrected_and_replayed_lands(tmp_path: Path) -> None:
    with running_world(customers=12) as world:
        _dead_letter_story(world, tmp_path)


def _dead_letter_story(world: World, tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    env = world.env(database)
    site = write_industry_site(tmp_path / "site.toml")
    customers = asyncio.run(prepare(world, database))
    create_industry_code(world)
    bad, other, third = (c.CustomerCode for c in customers[3:6])
    world.edit_customer(bad, {"Z_Industry": "Retail"})
    world.edit_customer(other, {"Z_Industry": "Wholesale"})
    world.edit_customer(third, {"Z_Industry": "Mixed"})
    assert invoke(["backfill", "--config", str(site)], env, tmp_path)[0] == 0
    with _open(database) as store:
        letters = {x.record_key: x for x in store.list_dead_letters()}
    letter, neighbour, last = letters[bad], letters[other], letters[third]
    assert (letter.record_key, letter.field) == (bad, INDUSTRY_CODE)

    code, out, _ = invoke(["dead-letters", "list"], env, tmp_path)
    assert code == 0 and str(letter.id) in out and bad in out
    code, out, _ = invoke(["dead-letters", "show", str(letter.id)], env, tmp_path)
    assert code == 0 and "Retail" in out and INDUSTRY_CODE in out

    # Corrected wrongly: HubSpot refuses this value too; the letter stays open, saying so.
    args = ["dead-letters", "replay", str(letter.id), "--config", str(site)]
    code, out, _ = invoke([*args, "--set", f"{INDUSTRY_CODE}=abc"], env, tmp_path)
    assert code == 1 and "still open" in out
    with _open(database) as store:
        again = store.get_dead_letter(letter.id)
        assert {x.id for x in store.list_dead_letters()} == {letter.id, neighbour.id, last.id}
    assert again is not None and again.resolved_at is None
    assert "abc" in again.reason and "Retail" not in again.reason

    code, out, _ = invoke([*args, "--set", f"{INDUSTRY_CODE}=7"], env, tmp_path)

    assert code == 0 and "landed" in out
    company_id = links_with_via(database)[bad][0]
    assert world.companies([INDUSTRY_CODE])[company_id][INDUSTRY_CODE] == "7"
    with _open(database) as store:
        assert {x.id for x in store.list_dead_letters()} == {neighbour.id, last.id}
        audit = store.list_audit("company", bad)
    written = next(e for e in audit if e.changes)
    assert written.changes[INDUSTRY_CODE] == (None, "7")
    assert written.source == f"dead letter {letter.id}"
    actions = [e.reason for e in audit if not e.changes]
    assert actions[0] == f"dead letter {letter.id} replayed with {INDUSTRY_CODE}=7: landed"
    failed = f"dead letter {letter.id} replayed with {INDUSTRY_CODE}=abc: failed"
    assert actions[1].startswith(failed)

    # Fixed in Accredo: --all replays every open letter; the one still wrong stays open.
    world.edit_customer(third, {"Z_Industry": "5"})
    code, out, _ = invoke(["dead-letters", "replay", "--all", "--config", str(site)], env, tmp_path)
    assert code == 1
    assert f"dead letter {last.id} ({third}): landed" in out
    assert f"dead letter {neighbour.id} ({other}): still open" in out
    third_id = links_with_via(database)[third][0]
    assert world.companies([INDUSTRY_CODE])[third_id][INDUSTRY_CODE] == "5"

    code, _, err = invoke(["dead-letters", "discard", str(neighbour.id)], env, tmp_path)
    assert code != 0 and "--reason" in err
    code, out, _ = invoke(
        ["dead-letters", "discard", str(neighbour.id), "--reason", "sales will fix it"],
        env,
        tmp_path,
    )
    assert code == 0
    with _open(database) as store:
        assert store.list_dead_letters() == []
        actions = [e.reason for e in store.list_audit("company", other) if not e.changes]
    assert actions[0] == f"dead letter {neighbour.id} discarded: sales will fix it"
    assert actions[1].startswith(f"dead letter {neighbour.id} replayed: failed again: ")
    code, _, err = invoke(["dead-letters", "replay", str(neighbour.id)], env, tmp_path)
    assert code == 1 and "already closed" in err
