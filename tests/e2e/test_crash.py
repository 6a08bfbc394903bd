"""End to end: ``accredo-hubspot backfill`` killed (SIGKILL) mid-way and run again.

DESIGN invariant 3 (at-least-once in, idempotent out): companies the first run wrote but did
not get to record are found again by the unique ``accredo_customer_code`` on the second run, so
every debtor ends linked to exactly one company and none is created twice.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.config import default_config_text
from accredo_hubspot.mapping.identity import debtor_nzbn
from accredo_hubspot.runtime import accredo_client
from accredo_hubspot.store import StateStore
from tests.e2e.operate import invoke
from tests.e2e.world import CLI, World, links_with_via, running_world
from tests.logging_reset import restored_logging
from tests.narrow import known

pytestmark = pytest.mark.slow

DEBTORS = 500
PRE_EXISTING = 4
#: Slow HubSpot down enough that a kill lands between the first and the last batch.
LATENCY_MS = 150
KILL_DEADLINE_S = 60.0
#: Debtors per Accredo page, which is also the backfill's unit of commit: five per run.
PAGE_SIZE = 100


def small_pages(tmp_path: Path) -> Path:
    """A site configuration with smaller Accredo pages, so the run commits several times."""
    text = re.sub(
        r"(?m)^accredo_page_size = \d+$", f"accredo_page_size = {PAGE_SIZE}", default_config_text()
    )
    assert f"accredo_page_size = {PAGE_SIZE}" in text
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _customers(world: World, database: Path) -> list[ARCustomer]:
    settings = world.settings(database).require_accredo()
    async with accredo_client(settings) as accredo:
        return [c async for c in accredo.iter_customers()]


def _kill_mid_backfill(world: World, database: Path, cwd: Path, config: Path) -> int:
    """Start the backfill, SIGKILL it once some (not all) debtors are linked; the count then."""
    process = subprocess.Popen(
        [CLI, "backfill", "--config", str(config)],
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
        # setup and the rerun in this process (typer's runner): only the killed run is about
        # the process.
        with restored_logging():
            assert invoke(["setup"], env, tmp_path)[0] == 0
        customers = asyncio.run(_customers(world, database))
        existing = {}
        for customer in [c for c in customers if debtor_nzbn(c)][:PRE_EXISTING]:
            existing[customer.CustomerCode] = world.user_creates_company(
                {"name": known(customer.CustomerName), "nzbn": known(customer.BusinessNo)}
            )
        StateStore.open(f"sqlite:///{database}").close()  # schema in place before polling
        world.hubspot_faults(latency_ms=LATENCY_MS)

        config = small_pages(tmp_path)
        linked_at_kill = _kill_mid_backfill(world, database, tmp_path, config)
        assert 0 < linked_at_kill < DEBTORS

        world.hubspot_faults(latency_ms=0)
        with restored_logging():
            exit_code, rerun_output, err = invoke(
                ["backfill", "--config", str(config)], env, tmp_path
            )
        assert exit_code == 0, err
        companies = world.companies(["accredo_customer_code"])
    return Rerun(customers, existing, links_with_via(database), companies, rerun_output)


def test_no_company_is_created_twice_after_a_kill(rerun: Rerun) -> None:
    company_ids = [company for company, _ in rerun.links.values()]
    assert len(set(company_ids)) == len(company_ids)
    codes = Counter(p.get("accredo_customer_code") for p in rerun.companies.values())
    assert [code for code, n in codes.items() if code and n > 1] == []
    # every company in HubSpot is linked to one debtor: none orphaned, none twice
    assert set(rerun.companies) == set(company_ids)
    for code, company_id in rerun.existing.items():
        assert rerun.links[code] == (company_id, "nzbn")


def test_killed_backfill_rerun_links_every_debtor_exactly_once(rerun: Rerun) -> None:
    assert set(rerun.links) == {c.CustomerCode for c in rerun.customers}, rerun.rerun_output
    assert len(rerun.companies) == DEBTORS  # the pre-existing ones were linked, not duplicated
