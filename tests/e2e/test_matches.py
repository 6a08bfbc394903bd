"""End to end: a debtor whose NZBN is on two HubSpot companies waits in ``matches list``;
``matches resolve CODE --company ID`` links it to the one chosen and writes it at once;
``--new`` gives another such debtor a company of its own. Both choices are audited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from accredo_hubspot.mapping.identity import debtor_nzbn
from accredo_hubspot.store import StateStore
from tests.e2e.operate import invoke, prepare
from tests.e2e.world import World, cents, links_with_via, running_world

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restore_logging")]

CODE = "accredo_customer_code"


def test_an_ambiguous_match_resolved_links_and_syncs(tmp_path: Path) -> None:
    with running_world(customers=20) as world:
        _story(world, tmp_path)


def _twins(world: World, name: str, nzbn: str) -> list[str]:
    return [world.user_creates_company({"name": f"{name} #{i}", "nzbn": nzbn}) for i in (1, 2)]


def _story(world: World, tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    env = world.env(database)
    customers = asyncio.run(prepare(world, database))
    first, second = [c for c in customers if debtor_nzbn(c)][:2]
    twins = _twins(world, first.CustomerName or "A", debtor_nzbn(first) or "")
    others = _twins(world, second.CustomerName or "B", debtor_nzbn(second) or "")
    assert invoke(["backfill"], env, tmp_path)[0] == 0
    with StateStore.open(f"sqlite:///{database}") as store:
        waiting = {m.record_key: m.candidates for m in store.list_ambiguous_matches()}
    assert waiting == {first.CustomerCode: tuple(twins), second.CustomerCode: tuple(others)}
    code, out, _ = invoke(["matches", "list"], env, tmp_path)
    assert code == 0 and first.CustomerCode in out and twins[1] in out
    code, out, _ = invoke(["dead-letters", "list"], env, tmp_path)
    assert code == 0 and first.CustomerCode not in out  # matches are decided, not replayed

    # A company that does not exist: nothing is linked, the match still waits.
    code, _, err = invoke(
        ["matches", "resolve", first.CustomerCode, "--company", "999999999"], env, tmp_path
    )
    assert code == 1 and "not written" in err
    assert first.CustomerCode not in links_with_via(database)

    code, out, err = invoke(
        ["matches", "resolve", first.CustomerCode, "--company", twins[1]], env, tmp_path
    )

    assert code == 0, err
    links = links_with_via(database)
    assert links[first.CustomerCode] == (twins[1], "operator")
    companies = world.companies([CODE, "accredo_credit_limit"])
    assert companies[twins[1]][CODE] == first.CustomerCode
    assert companies[twins[1]]["accredo_credit_limit"] == cents(first.CreditLimit)
    assert not companies[twins[0]].get(CODE)

    code, _, err = invoke(["matches", "resolve", second.CustomerCode, "--new"], env, tmp_path)

    assert code == 0, err
    company_id, via = links_with_via(database)[second.CustomerCode]
    assert via == "new" and company_id not in others
    assert world.companies([CODE])[company_id][CODE] == second.CustomerCode
    with StateStore.open(f"sqlite:///{database}") as store:
        assert store.list_ambiguous_matches() == []
        actions = [
            e.reason for e in store.list_audit("company", first.CustomerCode) if not e.changes
        ]
    assert actions[0] == f"match resolved by operator: company {twins[1]}; written"
    assert actions[1].startswith("match resolved by operator: company 999999999; failed")
    code, _, err = invoke(["matches", "resolve", first.CustomerCode, "--new"], env, tmp_path)
    assert code == 1 and "no ambiguous match" in err
