"""``Backfill`` against both simulators: progress, cursors, the fewest HubSpot calls, and a run
that dies between the HubSpot write and the store commit (DESIGN invariant 3)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.hubspot.models import BatchOutcome, WriteInput
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.companies import COMPANY_RECORD
from tests.e2e.world import World, links_with_via, running_world, set_up

DEBTORS = 150
CHUNK = 50


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=DEBTORS) as running:
        yield running


@pytest.fixture
async def conn(world: World, tmp_path: Path) -> AsyncIterator[Connector]:
    async with set_up(world, tmp_path / "state.db", load_config(None)) as connector:
        httpx.post(f"{world.hubspot.url}/_sim/stats/reset").raise_for_status()
        yield connector


def backfill(conn: Connector, hubspot: Any = None) -> Backfill:
    return Backfill(
        conn.accredo,
        hubspot or conn.hubspot,
        conn.store,
        conn.config,
        conn.clock,
        chunk_size=CHUNK,
    )


class CrashAfterWrite:
    """The real HubSpot client, but the process "dies" right after the n-th upsert landed:
    HubSpot has the companies, the store never hears of them."""

    class Died(Exception):
        pass

    def __init__(self, real: Any, after_calls: int) -> None:
        self._real = real
        self._left = after_calls

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def batch_upsert(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome:
        outcome: BatchOutcome = await self._real.batch_upsert(object_type, id_property, inputs)
        self._left -= 1
        if self._left <= 0:
            raise self.Died
        return outcome


async def test_progress_counts_up_to_the_total(conn: Connector) -> None:
    seen: list[tuple[int, int | None]] = []
    report = await backfill(conn).run(lambda done, total: seen.append((done, total)))
    assert seen[0] in ((0, None), (0, DEBTORS))  # the count runs beside the first writes
    assert seen[-1] == (DEBTORS, DEBTORS)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert {total for _, total in seen} <= {None, DEBTORS}
    assert len(seen) == 2 + math.ceil(DEBTORS / CHUNK)
    assert report.debtors == DEBTORS


async def test_uses_the_fewest_hubspot_calls(world: World, conn: Connector) -> None:
    report = await Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock).run()
    by_route = world.hubspot_stats()["by_route"]
    upserts = by_route["POST /crm/v3/objects/{type}/batch/upsert"]
    assert upserts == report.calls == math.ceil(DEBTORS / 100)  # full batches of 100
    assert "POST /crm/v3/objects/{type}/search" not in by_route  # matching never searches
    assert by_route["GET /crm/v3/objects/{type}"] == 1  # an empty portal: one page to list


async def test_cursors_start_where_the_backfill_started_and_are_kept_after(
    world: World, conn: Connector
) -> None:
    before = await conn.accredo.latest_delta_ids()
    await backfill(conn).run()
    assert conn.store.sync.get_cursors() == before
    world.post_transaction("invoices", sorted(conn.store.sync.get_links(COMPANY_RECORD))[0], 10.0)
    await backfill(conn).run()
    # a later backfill does not move the cursors past changes live sync has not yet read
    assert conn.store.sync.get_cursors() == before
    assert await conn.accredo.latest_delta_ids() != before


async def test_dying_between_the_write_and_the_commit_creates_nothing_twice(
    world: World, conn: Connector, tmp_path: Path
) -> None:
    with pytest.raises(CrashAfterWrite.Died):
        await backfill(conn, CrashAfterWrite(conn.hubspot, after_calls=2)).run()
    linked_before = len(conn.store.sync.get_links(COMPANY_RECORD))
    written = len(world.companies(["name"]))
    assert written > linked_before  # HubSpot holds companies the store never recorded

    links_at_rerun = conn.store.sync.get_links(COMPANY_RECORD)
    report = await backfill(conn).run()
    links = links_with_via(tmp_path / "state.db")
    companies = world.companies(["accredo_customer_code"])
    codes = Counter(p["accredo_customer_code"] for p in companies.values())
    assert [code for code, n in codes.items() if n > 1] == []
    assert set(companies) == {company for company, _ in links.values()}
    # the unrecorded companies were found again (by the NZBN or the code they were given)
    assert report.linked >= written - len(links_at_rerun)
    assert {via for _, via in links.values()} <= {"new", "nzbn", "abn", "code"}
    # everything else was created once, and every debtor ends linked exactly once
    assert report.failed == 0, report.failures
    assert report.created == DEBTORS - written
    assert len(links) == len(companies) == DEBTORS


async def test_a_debtor_sharing_a_domain_with_a_linked_one_is_created_by_a_later_backfill(
    world: World, conn: Connector
) -> None:
    def add(code: str, email: str) -> None:
        httpx.post(
            f"{world.accredo.url}/_sim/customers",
            json={"CustomerCode": code, "CustomerName": "Huia Ltd", "EmailAddress": email},
        ).raise_for_status()

    add("HUIA1", "a@huia.nz")
    await backfill(conn).run()
    assert "HUIA1" in conn.store.sync.get_links(COMPANY_RECORD)
    add("HUIA2", "b@huia.nz")  # a second branch, opened later
    again = await backfill(conn).run()
    assert again.failed == 0, again.failures
    assert "HUIA2" in conn.store.sync.get_links(COMPANY_RECORD)


def _linked_once(world: World, database: Path) -> None:
    links = links_with_via(database)
    assert len(links) == DEBTORS
    company_ids = {company for company, _ in links.values()}
    assert len(company_ids) == DEBTORS
    httpx.post(f"{world.hubspot.url}/_sim/limits/reset").raise_for_status()
    assert set(world.companies(["name"])) == company_ids


async def test_5xx_and_dropped_connections_on_both_sides_heal_without_duplicates(
    world: World, conn: Connector, tmp_path: Path
) -> None:
    world.hubspot_faults(error_rate=0.1, drop_rate=0.05)
    httpx.put(
        f"{world.accredo.url}/_sim/faults", json={"error_rate": 0.1, "drop_rate": 0.05}
    ).raise_for_status()
    try:
        report = await backfill(conn).run()
    finally:
        world.hubspot_faults()
        httpx.put(
            f"{world.accredo.url}/_sim/faults", json={"error_rate": 0, "drop_rate": 0}
        ).raise_for_status()
    assert (report.created, report.failed) == (DEBTORS, 0)
    _linked_once(world, tmp_path / "state.db")


async def test_a_code_typed_in_lower_case_in_hubspot_is_matched_not_duplicated(
    world: World, conn: Connector, tmp_path: Path
) -> None:
    customers = [c async for c in conn.accredo.iter_customers()]
    first = customers[0]
    typed = world.user_creates_company(
        {"name": "typed by hand", "accredo_customer_code": first.CustomerCode.lower()}
    )
    report = await backfill(conn).run()
    assert report.failed == 0, report.failures
    assert links_with_via(tmp_path / "state.db")[first.CustomerCode] == (typed, "code")
    assert len(world.companies(["name"])) == DEBTORS


async def test_an_australian_debtor_is_matched_by_the_abn_typed_with_spaces(
    world: World, conn: Connector, tmp_path: Path
) -> None:
    from accredo_hubspot.mapping.identity import debtor_abn, debtor_nzbn

    customers = [c async for c in conn.accredo.iter_customers()]
    aussie = next(c for c in customers if debtor_abn(c) and not debtor_nzbn(c))
    abn = debtor_abn(aussie) or ""
    typed = f"{abn[:2]} {abn[2:5]} {abn[5:8]} {abn[8:]}"  # as printed on an invoice
    company_id = world.user_creates_company({"name": "Aussie customer", "nzbn": typed})
    report = await backfill(conn).run()
    assert report.failed == 0, report.failures
    assert links_with_via(tmp_path / "state.db")[aussie.CustomerCode] == (company_id, "abn")
    assert len(world.companies(["name"])) == DEBTORS


async def _two_accounts_one_nzbn(world: World, conn: Connector, *, second_later: bool) -> Any:
    """Two Accredo accounts of one business (one NZBN): how the second one ends up."""
    from sims.accredo.checkdigits import gs1_check_digit

    body = "942900777001"
    nzbn = f"{body}{gs1_check_digit(body)}"

    def add(code: str) -> None:
        httpx.post(
            f"{world.accredo.url}/_sim/customers",
            json={"CustomerCode": code, "CustomerName": "Kōwhai Ltd", "BusinessNo": nzbn},
        ).raise_for_status()

    add("ZKOWHAI")
    if second_later:
        await backfill(conn).run()
    add("ZKOWHAI2")
    report = await backfill(conn).run()
    links = conn.store.sync.get_links(COMPANY_RECORD)
    return ("ZKOWHAI2" in links, links.get("ZKOWHAI2") == links.get("ZKOWHAI"), report.failed)


async def test_two_accounts_of_one_business_end_the_same_whenever_they_arrive(
    world: World, conn: Connector, tmp_path: Path
) -> None:
    together = await _two_accounts_one_nzbn(world, conn, second_later=False)
    async with set_up(world, tmp_path / "later.db", load_config(None)) as later_conn:
        later = await _two_accounts_one_nzbn(world, later_conn, second_later=True)
    assert later == together
