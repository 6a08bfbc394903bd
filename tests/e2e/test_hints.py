"""Accredo's push hints end to end: ``run`` as a user starts it, the Accredo simulator playing
the site's script, over real HTTP.

With the quiet pace at five minutes, a change reaches HubSpot within the test only because the
script's hint woke the poll. A hint without the secret is refused; forged and repeated hints
write nothing (the poll they bring finds nothing new, or the one change once). With every hint
lost, a change still arrives, by polling.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from accredo_hubspot.runtime import accredo_client
from accredo_hubspot.store import StateStore
from accredo_hubspot.web import HINT_PATH
from sims.serve import free_port
from tests.conftest import wait_until
from tests.e2e.operate import invoke
from tests.e2e.world import CLI, World, cents, healthy, links_with_via, running_world, sim_stats

pytestmark = pytest.mark.slow

DEBTORS = 12
HINT_SECRET = "0123456789abcdef-e2e-hint-secret"
UNAUTHORIZED = {"status": "error", "message": "unauthorized"}


@dataclass
class Site:
    """Both simulators, after setup and a backfill into ``database``."""

    world: World
    tmp: Path
    database: Path
    codes: list[str]

    def env(self, base: str) -> dict[str, str]:
        env = self.world.env(self.database)
        env["ACCREDO_HUBSPOT_LISTEN"] = base.removeprefix("http://")
        env["ACCREDO_HUBSPOT_HINT_SECRET"] = HINT_SECRET
        return env

    def hook(self, url: str | None, secret: str | None = HINT_SECRET) -> dict[str, Any]:
        """Where the Accredo simulator's script posts its hints (None: nowhere)."""
        answer = httpx.put(
            f"{self.world.accredo.url}/_sim/event-hook", json={"url": url, "secret": secret}
        )
        answer.raise_for_status()
        state: dict[str, Any] = answer.json()
        return state

    def hook_state(self) -> dict[str, Any]:
        state: dict[str, Any] = httpx.get(f"{self.world.accredo.url}/_sim/event-hook").json()
        return state

    def balance_shown(self, code: str) -> str | None:
        company_id = links_with_via(self.database)[code][0]
        return self.world.companies(["accredo_balance_total"])[company_id]["accredo_balance_total"]

    def balance_in_accredo(self, code: str) -> str:
        return asyncio.run(_balance(self.world, self.database, code))

    def ardelta_reads(self) -> int:
        """How often the change table has been read (each poll reads it once)."""
        stats = sim_stats(self.world.accredo)
        return int(stats["by_route"].get("GET TABLE_ARDELTA", 0))

    def company_writes(self, code: str) -> int:
        with StateStore.open(f"sqlite:///{self.database}") as store:
            return sum(1 for a in store.list_audit("company", code) if a.reason == "accredo change")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("hints")
    database = tmp / "state.db"
    with running_world(customers=DEBTORS) as world:
        env = world.env(database)
        for command in (["setup"], ["backfill"]):
            code, _, err = invoke(command, env, tmp)
            assert code == 0, err
        yield Site(world, tmp, database, sorted(links_with_via(database)))


@contextmanager
def running(site: Site, *options: str) -> Iterator[str]:
    """``run`` with ``options``, serving on a free port (its base URL), stopped by SIGTERM."""
    base = f"http://127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [CLI, "run", *options],
        env=site.env(base),
        cwd=site.tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: healthy(base) or process.poll() is not None, "run's web app")
        assert process.poll() is None, process.communicate()
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 0, err
        assert HINT_SECRET not in err


@pytest.fixture(scope="class")
def hinted(site: Site) -> Iterator[str]:
    """``run`` polling Accredo every five minutes when quiet; the script's hints go to it."""
    reads = site.ardelta_reads()
    with running(site, "--poll-interval-s", "300", "--busy-poll-for-s", "0") as base:
        wait_until(lambda: site.ardelta_reads() > reads, "its first poll")
        site.hook(f"{base}{HINT_PATH}")
        try:
            yield base
        finally:
            site.hook(None, None)


class TestWithTheScript:
    """``run`` polls every five minutes when quiet: what arrives sooner came by a hint."""

    def test_a_hint_without_the_secret_is_refused(self, hinted: str) -> None:
        for headers in (
            {},
            {"Authorization": "Bearer not-the-hint-secret-0123456"},
            {"Authorization": f"Bearer {HINT_SECRET}-and-more"},
        ):
            answer = httpx.post(f"{hinted}{HINT_PATH}", content=b"{}", headers=headers)
            assert answer.status_code == 401
            assert answer.json() == UNAUTHORIZED  # nothing said of why

    def test_a_change_arrives_at_once_on_the_scripts_hint(self, site: Site, hinted: str) -> None:
        code = site.codes[0]
        site.world.post_transaction("invoices", code, 123.45)
        expected = site.balance_in_accredo(code)
        shown = "the balance in HubSpot (not by the 300 s poll)"
        wait_until(lambda: site.balance_shown(code) == expected, shown, timeout_s=30)

    def test_forged_and_repeated_hints_change_nothing_but_timing(
        self, site: Site, hinted: str
    ) -> None:
        _settle(site, hinted)  # the cycle before (an invoice's own record after its company)
        writes = site.world.hubspot_stats()["writes"]
        for _ in range(5):
            forged = httpx.post(
                f"{hinted}{HINT_PATH}", headers={"Authorization": "Bearer forged-0123456789abcdef"}
            )
            assert forged.status_code == 401
        for _ in range(10):  # repeated, with nothing changed in Accredo
            _hint(hinted)
        _settle(site, hinted)
        assert site.world.hubspot_stats()["writes"] == writes  # the polls found nothing

        code = site.codes[1]
        before = site.company_writes(code)
        site.world.edit_customer(code, {"CreditLimit": 43210})  # the script hints itself ...
        for _ in range(10):  # ... and the hint is repeated
            _hint(hinted)
        company_id = links_with_via(site.database)[code][0]
        wait_until(
            lambda: (
                site.world.companies(["accredo_credit_limit"])[company_id]["accredo_credit_limit"]
                == "43210.00"
            ),
            "the credit limit in HubSpot",
            timeout_s=30,
        )
        _settle(site, hinted)
        assert site.company_writes(code) == before + 1  # the one change, written once
        with StateStore.open(f"sqlite:///{site.database}") as store:
            assert store.queue_depth() == 0


def test_with_every_hint_lost_a_change_still_arrives(site: Site) -> None:
    """The script posts to a port where nothing listens; ``run`` polls at its default pace."""
    lost = site.hook(f"http://127.0.0.1:{free_port()}{HINT_PATH}")
    with running(site):
        code = site.codes[2]
        site.world.post_transaction("receipts", code, 50.0)
        expected = site.balance_in_accredo(code)
        wait_until(lambda: site.balance_shown(code) == expected, "the balance", timeout_s=30)
    wait_until(lambda: site.hook_state()["failed"] > lost["failed"], "the receipt's hint, lost")
    assert site.hook(None, None)["sent"] == lost["sent"]


def _hint(base: str) -> None:
    answer = httpx.post(f"{base}{HINT_PATH}", headers={"Authorization": f"Bearer {HINT_SECRET}"})
    assert answer.status_code == 204


def _settle(site: Site, base: str) -> None:
    """Two more hinted polls: once the second has started, the cycle of the first (and of
    every hint before it) is over (a process polls, then drains, then sleeps)."""
    for _ in range(2):
        _hint_and_poll(site, base)


def _hint_and_poll(site: Site, base: str) -> None:
    """A hint, and the poll it brings started."""
    reads = site.ardelta_reads()
    _hint(base)
    wait_until(lambda: site.ardelta_reads() > reads, "the poll")


async def _balance(world: World, database: Path, code: str) -> str:
    async with accredo_client(world.settings(database).require_accredo()) as accredo:
        (customer,) = await accredo.get_customers([code])
    return cents(customer.BalanceTotal)
