"""End to end: ``accredo-hubspot run`` against both simulators serves a status page that shows,
in headless Chromium, the dead letter and the ambiguous match a backfill left; its ``/metrics``
parse with prometheus-client's parser and the latency histogram moves after a change.

The site maps a custom text field to a HubSpot *number* property and one debtor holds text
there (a dead letter, as in test_dead_letter.py); two HubSpot companies share another debtor's
NZBN (an ambiguous match, never linked). Screenshots of the page, phone and desktop, are kept
under ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.identity import debtor_nzbn
from accredo_hubspot.runtime import accredo_client
from accredo_hubspot.store import MATCH_FIELD, StateStore
from sims.serve import free_port
from tests.conftest import wait_until
from tests.e2e.browser import DESKTOP, PHONE, chromium, dump_dom, screenshot
from tests.e2e.operate import invoke
from tests.e2e.world import (
    CLI,
    INDUSTRY_CODE,
    World,
    create_industry_code,
    healthy,
    links_with_via,
    running_world,
    write_industry_site,
)
from tests.logging_reset import restored_logging

pytestmark = pytest.mark.slow

DEBTORS = 40
LATENCY_COUNT = "accredo_hubspot_sync_latency_seconds_count"


@dataclass
class Running:
    """``run`` serving at ``base``, after a backfill that left one dead letter (``bad``) and one
    ambiguous match (``twin``)."""

    world: World
    base: str
    database: Path
    bad: str
    twin: str
    process: subprocess.Popen[str]


async def _customers(world: World, database: Path) -> list[ARCustomer]:
    settings = world.settings(database)
    async with accredo_client(settings.require_accredo()) as accredo:
        return [c async for c in accredo.iter_customers()]


def _twin(world: World, customers: list[ARCustomer]) -> str:
    """A debtor with an NZBN of its own, given two HubSpot companies holding that NZBN."""
    nzbns = Counter(debtor_nzbn(c) for c in customers)
    for customer in customers:
        nzbn = debtor_nzbn(customer)
        if nzbn and nzbns[nzbn] == 1:
            for copy in (1, 2):
                world.user_creates_company(
                    {"name": f"{customer.CustomerName} #{copy}", "nzbn": nzbn}
                )
            return customer.CustomerCode
    raise AssertionError("no debtor with an NZBN of its own")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    chromium()  # skip before starting anything where there is no browser
    tmp = tmp_path_factory.mktemp("status-page")
    config = write_industry_site(tmp / "site.toml")
    database = tmp / "state.db"
    with running_world(customers=DEBTORS) as world:
        env = world.env(database)
        base = f"http://127.0.0.1:{free_port()}"
        env["ACCREDO_HUBSPOT_LISTEN"] = base.removeprefix("http://")
        # setup and backfill in this process (typer's runner); `run` is a process of its own.
        with restored_logging():
            code, _, err = invoke(["setup", "--config", str(config)], env, tmp)
        assert code == 0, err
        create_industry_code(world)
        customers = asyncio.run(_customers(world, database))
        bad = customers[0].CustomerCode
        world.edit_customer(bad, {"Z_Industry": "Retail"})
        twin = _twin(world, customers[1:])
        with restored_logging():
            code, _, err = invoke(["backfill", "--config", str(config)], env, tmp)
        assert code == 0, err
        process = subprocess.Popen(
            [CLI, "run", "--config", str(config)],
            env=env,
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_until(lambda: healthy(base), "run's web app")
            yield Running(world, base, database, bad, twin, process)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()


def _latency_count(base: str) -> float:
    """The to_hubspot latency histogram's count, read through prometheus-client's parser."""
    text = httpx.get(f"{base}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == LATENCY_COUNT and sample.labels == {"direction": "to_hubspot"}:
                return sample.value
    raise AssertionError(f"no {LATENCY_COUNT} in /metrics")


def test_the_backfill_left_a_dead_letter_and_an_ambiguous_match(running: Running) -> None:
    with StateStore.open(f"sqlite:///{running.database}") as store:
        letters = store.list_dead_letters()
    by_field = {letter.field: letter.record_key for letter in letters}
    assert by_field == {INDUSTRY_CODE: running.bad, MATCH_FIELD: running.twin}


def test_the_latency_histogram_moves_after_a_change(running: Running) -> None:
    before = _latency_count(running.base)
    code = sorted(set(links_with_via(running.database)) - {running.bad})[0]
    running.world.post_transaction("invoices", code, 123.45)
    wait_until(lambda: _latency_count(running.base) > before, "the latency histogram to move")
    page = httpx.get(f"{running.base}/status").text
    for figure in ("latency p50, 1 h", "latency p95, 1 h"):
        to_hubspot = page.split(f"<th>{figure}</th>", 1)[1].split("</td>", 1)[0]
        assert to_hubspot.endswith((" s", " min")), to_hubspot  # a time, not "-"


def test_the_page_in_chromium_shows_the_dead_letter_and_the_ambiguous_match(
    running: Running,
) -> None:
    dom = dump_dom(f"{running.base}/status")
    dead = dom.split('<section id="dead-letters">', 1)[1].split("</section>", 1)[0]
    matches = dom.split('<section id="matches">', 1)[1].split("</section>", 1)[0]
    assert "Dead letters (1)" in dead
    assert running.bad in dead and INDUSTRY_CODE in dead and "Retail" in dead
    assert "Ambiguous matches waiting for a decision (1)" in matches
    assert running.twin in matches and "ambiguous match" in matches
    assert running.twin not in dead
    for size, name in ((PHONE, "status-page-phone.png"), (DESKTOP, "status-page.png")):
        screenshot(f"{running.base}/status", name, size)
