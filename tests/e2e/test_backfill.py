"""End to end: backfill 2,000 debtors into a HubSpot portal that already holds some of them.

Before the backfill a HubSpot user has created companies for chosen debtors: some with only
the debtor's NZBN, some with only its customer code, some with only its e-mail domain, and two
companies sharing one NZBN. The backfill must link the existing ones (DESIGN "Matching"), report
the ambiguous one without linking, merging or creating anything for it, create the rest, and
send nothing when run again (invariant 3: effectively once).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.mapping.identity import debtor_email_domain, debtor_nzbn, debtor_web_domain
from accredo_hubspot.runtime import connect
from accredo_hubspot.sync.backfill import Backfill, BackfillReport
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.sync.setup import run_setup
from tests.e2e.operate import invoke
from tests.e2e.world import World, cents, links_with_via, running_world
from tests.logging_reset import restored_logging
from tests.narrow import known

pytestmark = pytest.mark.slow

DEBTORS = 2000
PER_KIND = 6
CODE = "accredo_customer_code"
CHECKED = [
    CODE,
    "name",
    "nzbn",
    "domain",
    "accredo_credit_limit",
    "accredo_balance_total",
    "accredo_balance_current",
    "accredo_last_payment_amount",
    "accredo_stop_credit",
]


@dataclass
class Backfilled:
    world: World
    database: Path
    customers: dict[str, ARCustomer]
    report: BackfillReport
    existing: dict[str, str]  # customer code -> the company a user created for it
    expected_via: dict[str, str]
    ambiguous_code: str
    ambiguous_companies: list[str]
    writes_before: int = 0
    notes: dict[str, object] = field(default_factory=dict)


def choose(customers: list[ARCustomer]) -> tuple[list[ARCustomer], ...]:
    """Disjoint debtors for each kind of pre-existing company, keys unique among all debtors."""
    generic = load_config(None).generic_email_domains
    nzbns = Counter(n for c in customers if (n := debtor_nzbn(c)))
    domains = Counter(
        d
        for c in customers
        for d in {debtor_email_domain(c, generic), debtor_web_domain(c, generic)}
        if d
    )
    by_nzbn = [c for c in customers if (n := debtor_nzbn(c)) and nzbns[n] == 1]
    by_domain = [
        c
        for c in customers
        if (d := debtor_email_domain(c, generic)) and domains[d] == 1 and c not in by_nzbn[:20]
    ]
    used = {c.CustomerCode for c in [*by_nzbn[: PER_KIND + 1], *by_domain[:PER_KIND]]}
    by_code = [c for c in customers if c.CustomerCode not in used]
    return (
        by_nzbn[:PER_KIND],
        by_code[-PER_KIND:],
        by_domain[:PER_KIND],
        by_nzbn[PER_KIND : PER_KIND + 1],
    )


async def _backfill(world: World, database: Path) -> Backfilled:
    config = load_config(None)
    generic = config.generic_email_domains
    async with connect(world.settings(database), config) as conn:
        await run_setup(conn.hubspot, config)
        customers = [c async for c in conn.accredo.iter_customers()]
        with_nzbn, with_code, with_domain, ambiguous = choose(customers)
        existing: dict[str, str] = {}
        expected_via: dict[str, str] = {}
        for c in with_nzbn:
            existing[c.CustomerCode] = world.user_creates_company(
                {"name": known(c.CustomerName).replace(" Ltd", ""), "nzbn": debtor_nzbn(c) or ""}
            )
            expected_via[c.CustomerCode] = "nzbn"
        for c in with_code:
            existing[c.CustomerCode] = world.user_creates_company(
                {"name": f"{c.CustomerName} (sales)", CODE: c.CustomerCode}
            )
            expected_via[c.CustomerCode] = "code"
        for c in with_domain:
            domain = debtor_email_domain(c, generic) or ""
            existing[c.CustomerCode] = world.user_creates_company(
                {"name": known(c.CustomerName).upper(), "domain": domain}
            )
            expected_via[c.CustomerCode] = "email_domain"
        (twin,) = ambiguous
        twins = [
            world.user_creates_company(
                {"name": f"{twin.CustomerName} #{i}", "nzbn": known(twin.BusinessNo)}
            )
            for i in (1, 2)
        ]
        writes_before = world.hubspot_stats()["writes"]
        report = await Backfill(
            conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
        ).run()
    return Backfilled(
        world,
        database,
        {c.CustomerCode: c for c in customers},
        report,
        existing,
        expected_via,
        twin.CustomerCode,
        twins,
        writes_before,
    )


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    database = tmp_path_factory.mktemp("backfill") / "state.db"
    with running_world(customers=DEBTORS) as world:
        yield asyncio.run(_backfill(world, database))


def test_every_unambiguous_debtor_is_linked_exactly_once(backfilled: Backfilled) -> None:
    links = links_with_via(backfilled.database)
    assert backfilled.report.debtors == DEBTORS
    assert set(links) == set(backfilled.customers) - {backfilled.ambiguous_code}
    company_ids = [company for company, _ in links.values()]
    assert len(set(company_ids)) == len(company_ids) == DEBTORS - 1


def test_existing_companies_are_linked_not_duplicated(backfilled: Backfilled) -> None:
    links = links_with_via(backfilled.database)
    for code, company_id in backfilled.existing.items():
        assert links[code] == (company_id, backfilled.expected_via[code]), code
    created = DEBTORS - 1 - len(backfilled.existing)
    assert backfilled.report.created == created
    assert backfilled.report.linked == len(backfilled.existing)
    companies = backfilled.world.companies([CODE])
    pre_existing = len(backfilled.existing) + len(backfilled.ambiguous_companies)
    assert len(companies) == pre_existing + created
    codes = Counter(p.get(CODE) for p in companies.values() if p.get(CODE))
    assert [code for code, n in codes.items() if n > 1] == []
    assert set(codes) == set(backfilled.customers) - {backfilled.ambiguous_code}
    new_via = {via for code, (_, via) in links.items() if code not in backfilled.existing}
    assert new_via == {"new"}


def test_ambiguous_nzbn_is_dead_lettered_and_nothing_is_merged_or_created(
    backfilled: Backfilled,
) -> None:
    code = backfilled.ambiguous_code
    assert backfilled.report.failed == 1
    assert backfilled.report.failures[0].startswith(code)
    companies = backfilled.world.companies(CHECKED)
    for company_id in backfilled.ambiguous_companies:
        assert company_id in companies  # both still there, neither merged away
        assert not companies[company_id].get(CODE)
        assert not companies[company_id].get("accredo_balance_total")
    from accredo_hubspot.store import StateStore

    with StateStore.open(f"sqlite:///{backfilled.database}") as store:
        letters = store.list_dead_letters()
    assert [letter.record_key for letter in letters] == [code]
    assert "NZBN" in letters[0].reason or "nzbn" in (letters[0].field or "") + letters[0].reason


def test_hubspot_shows_what_accredo_says(backfilled: Backfilled) -> None:
    links = links_with_via(backfilled.database)
    companies = backfilled.world.companies(CHECKED)
    owing = [
        c
        for c in backfilled.customers.values()
        if c.BalanceTotal and c.CreditLimit and c.CustomerCode != backfilled.ambiguous_code
    ]
    sample = [*owing[:25], *(backfilled.customers[c] for c in backfilled.existing)]
    assert len(owing) > 25  # the seeded book has debtors that owe money
    for customer in sample:
        company = companies[links[customer.CustomerCode][0]]
        assert company["accredo_credit_limit"] == cents(customer.CreditLimit)
        assert company["accredo_balance_total"] == cents(customer.BalanceTotal)
        assert company["accredo_balance_current"] == cents(customer.BalanceCurrent)
        assert company["accredo_stop_credit"] == ("true" if customer.StopCredit else "false")
        assert company[CODE] == customer.CustomerCode


def test_existing_companies_keep_what_their_users_typed(backfilled: Backfilled) -> None:
    """``write = "create"`` fields (name) are only filled in on companies the connector makes."""
    companies = backfilled.world.companies(["name"])
    for code, company_id in backfilled.existing.items():
        if backfilled.expected_via[code] == "email_domain":
            typed = known(backfilled.customers[code].CustomerName).upper()
            assert companies[company_id]["name"] == typed


def test_second_backfill_sends_no_writes(backfilled: Backfilled) -> None:
    world = backfilled.world
    writes = world.hubspot_stats()["writes"]

    async def again() -> BackfillReport:
        async with connect(world.settings(backfilled.database), load_config(None)) as conn:
            return await Backfill(
                conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock
            ).run()

    report = asyncio.run(again())
    assert report.debtors == DEBTORS
    assert report.created + report.updated == 0
    assert report.calls == 0
    assert world.hubspot_stats()["writes"] == writes


def test_live_change_reaches_hubspot_and_a_quiet_cycle_calls_nothing(
    backfilled: Backfilled,
) -> None:
    world = backfilled.world
    links = links_with_via(backfilled.database)
    invoiced, paid, raised = sorted(backfilled.existing)[:3]
    new_limit = float((backfilled.customers[raised].CreditLimit or 0) + 2500)
    world.post_transaction("invoices", invoiced, 1850.00)
    world.post_transaction("receipts", paid, 400.00)
    world.edit_customer(raised, {"CreditLimit": new_limit})

    async def cycles() -> tuple[dict[str, ARCustomer], int, int, int, int]:
        async with connect(world.settings(backfilled.database), load_config(None)) as conn:
            live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
            first = await live.cycle()
            assert first.processed >= 3
            now = {
                c.CustomerCode: c
                for c in await conn.accredo.get_customers([invoiced, paid, raised])
            }
            requests = world.hubspot_stats()["requests"]
            quiet = await live.cycle()
            after = world.hubspot_stats()["requests"]
            return now, requests, after, quiet.hubspot_calls, quiet.processed

    now, requests, after, quiet_calls, quiet_processed = asyncio.run(cycles())
    companies = world.companies(CHECKED)
    before = backfilled.customers
    assert now[invoiced].BalanceTotal == (before[invoiced].BalanceTotal or 0) + 1850
    assert companies[links[invoiced][0]]["accredo_balance_total"] == cents(
        now[invoiced].BalanceTotal
    )
    assert companies[links[paid][0]]["accredo_last_payment_amount"] == "400.00"
    assert companies[links[paid][0]]["accredo_balance_total"] == cents(now[paid].BalanceTotal)
    assert companies[links[raised][0]]["accredo_credit_limit"] == cents(new_limit)
    assert (quiet_calls, quiet_processed) == (0, 0)
    assert after == requests  # not one HubSpot request in a cycle where nothing changed


def test_run_once_as_a_command_brings_a_change_across(
    backfilled: Backfilled, tmp_path: Path
) -> None:
    world = backfilled.world
    links = links_with_via(backfilled.database)
    code = sorted(backfilled.existing)[4]
    world.post_transaction("receipts", code, 123.45)
    world.edit_customer(code, {"StopCredit": True})
    with restored_logging():  # in this process (typer's runner), not a process of its own
        exit_code, _, err = invoke(["run", "--once"], world.env(backfilled.database), tmp_path)
    assert exit_code == 0, err
    company = world.companies(CHECKED)[links[code][0]]
    assert company["accredo_last_payment_amount"] == "123.45"
    assert company["accredo_stop_credit"] == "true"


def test_reruns_do_not_pile_up_dead_letters_for_the_same_problem(backfilled: Backfilled) -> None:
    """Runs after the second backfill and the live cycles: the ambiguous debtor is still one
    open dead letter, not one per run (``status`` counts them)."""
    from accredo_hubspot.store import StateStore

    with StateStore.open(f"sqlite:///{backfilled.database}") as store:
        letters = store.list_dead_letters()
    assert [letter.record_key for letter in letters] == [backfilled.ambiguous_code]
