"""End to end: ``accredo-hubspot backfill`` killed (SIGKILL) mid-way and run again.

DESIGN invariant 3 (at-least-once in, idempotent out): companies the first run wrote but did
not get to record are found again by the unique ``accredo_customer_code`` on the second run, so
every debtor ends linked to exactly one company and none is created twice.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.identity import debtor_nzbn
from accredo_hubspot.runtime import accredo_client
from accredo_hubspot.store import StateStore
from tests.e2e.world import CLI, World, links_with_via, run_cli, running_world

pytestmark = pytest.mark.slow

DEBTORS = 2000
PRE_EXISTING = 4
#: Slow HubSpot down enough that a kill lands between the first and the last batch.
LATENCY_MS = 150
KILL_DEADLINE_S = 60.0


async def _customers(world: World, database: Path) -> list[ARCustomer]:
    settings = world.settings(database).require_accredo()
    async with accredo_client(settings) as accredo:
        return [c async for c in accredo.iter_customers()]


def _kill_mid_backfill(world: World, database: Path, cwd: Path) -> int:
    """Start the backfill, SIGKILL it once some (not all) debtors are linked; the count then."""
    process = subprocess.Popen(
        [CLI, "backfill"],
        env=world.env(database),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + KILL_DEADLINE_S
    with StateStore.open(f"sqlite:///{database}") as store:
        try:
            while time.monotonic() < deadline:
                linked = store.link_count()
                if 0 < linked < DEBTORS:
                    process.send_signal(signal.SIGKILL)
                    process.wait(timeout=10)
                    return store.link_count()
                if process.poll() is not None:
                    pytest.fail(f"backfill ended (exit {process.returncode}) before the kill")
                time.sleep(0.01)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    pytest.fail("no debtor was linked in time")


@dataclass
class Rerun:
    customers: list[ARCustomer]
    existing: dict[str, str]
    links: dict[str, tuple[str, str | None]]
    companies: dict[str, dict[str, str | None]]
    rerun_output: str


@pytest.fixture(scope="module")
def rerun(tmp_path_factory: pytest.TempPathFactory) -> Rerun:
    """Setup, a few companies a user made, a backfill killed mid-way, then a full rerun."""
    tmp_path = tmp_path_factory.mktemp("crash")
    database = tmp_path / "state.db"
    with running_world(customers=DEBTORS) as world:
        env = world.env(database)
        assert run_cli(["setup"], env, tmp_path).returncode == 0
        customers = asyncio.run(_customers(world, database))
        existing = {}
        for customer in [c for c in customers if debtor_nzbn(c)][:PRE_EXISTING]:
            existing[customer.CustomerCode] = world.user_creates_company(
                {"name": customer.CustomerName, "nzbn": customer.BusinessNo}
            )
        StateStore.open(f"sqlite:///{database}").close()  # schema in place before polling
        world.hubspot_faults(latency_ms=LATENCY_MS)

        linked_at_kill = _kill_mid_backfill(world, database, tmp_path)
        assert 0 < linked_at_kill < DEBTORS

        world.hubspot_faults(latency_ms=0)
        second = run_cli(["backfill"], env, tmp_path)
        assert second.returncode == 0, second.stderr
        companies = world.companies(["accredo_customer_code"])
    return Rerun(customers, existing, links_with_via(database), companies, second.stdout)


def test_no_company_is_created_twice_after_a_kill(rerun: Rerun) -> None:
    company_ids = [company for company, _ in rerun.links.values()]
    assert len(set(company_ids)) == len(company_ids)
    codes = Counter(p.get("accredo_customer_code") for p in rerun.companies.values())
    assert [code for code, n in codes.items() if code and n > 1] == []
    # every company in HubSpot is linked to one debtor: none orphaned, none twice
    assert set(rerun.companies) == set(company_ids)
    for code, company_id in rerun.existing.items():
        assert rerun.links[code] == (company_id, "nzbn")


@pytest.mark.xfail(
    strict=True,
    reason=(
        "BUG sync/matcher.py match_debtor (lines 163-177): on a resumed backfill, a debtor not yet "
        "written whose e-mail domain is shared with debtors whose companies the first run already "
        "created (branches with one domain; outlook.co.nz, missing from the default generic list) "
        "matches those companies by domain, and is dead-lettered as ambiguous ('is on N "
        "companies' / 'which is debtor X's') instead of being created: an interrupted backfill "
        "strands debtors an uninterrupted one would have created"
    ),
)
def test_killed_backfill_rerun_links_every_debtor_exactly_once(rerun: Rerun) -> None:
    assert set(rerun.links) == {c.CustomerCode for c in rerun.customers}, rerun.rerun_output
    assert len(rerun.companies) == DEBTORS  # the pre-existing ones were linked, not duplicated
