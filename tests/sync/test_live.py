"""``LiveSync`` against both simulators: changes in Accredo reach HubSpot, bursts coalesce,
new debtors are matched or created, and a cycle with nothing to do calls nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina
import structlog
from sqlalchemy import select

from accredo_hubspot.mapping.config import load_config
from accredo_hubspot.runtime import Connector
from accredo_hubspot.store import TO_HUBSPOT, AuditEntry
from accredo_hubspot.store import schema as tables
from accredo_hubspot.sync.backfill import Backfill
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.live import (
    ACCREDO_FEED,
    AUDIT_PRUNED_KEY,
    DAILY_REFRESH_KEY,
    LiveSync,
)
from accredo_hubspot.sync.worker import ACCREDO_POLL_LEASE
from sims.accredo.checkdigits import gs1_check_digit
from tests.conftest import await_until
from tests.e2e.world import (
    TOKEN,
    World,
    cents,
    links_with_via,
    run_cli,
    running_world,
    set_up,
    sim_stats,
    user_creates,
)

DEBTORS = 60


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world(customers=DEBTORS) as running:
        yield running


@dataclass
class Synced:
    world: World
    conn: Connector
    live: LiveSync
    database: Path

    def links(self) -> dict[str, tuple[str, str | None]]:
        return links_with_via(self.database)

    def company(self, code: str, *names: str) -> dict[str, str | None]:
        company_id = self.links()[code][0]
        return self.world.companies(list(names))[company_id]


@pytest.fixture
async def fresh_conn(world: World, tmp_path: Path) -> AsyncIterator[Connector]:
    async with set_up(world, tmp_path / "state.db", load_config(None)) as conn:
        yield conn


@pytest.fixture
async def synced(world: World, fresh_conn: Connector, tmp_path: Path) -> Synced:
    conn = fresh_conn
    await Backfill(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock).run()
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    return Synced(world, conn, live, tmp_path / "state.db")


def new_nzbn(serial: int) -> str:
    body = f"942900{serial:06d}"
    return f"{body}{gs1_check_digit(body)}"


def create_debtor(world: World, body: dict[str, Any]) -> None:
    httpx.post(f"{world.accredo.url}/_sim/customers", json=body).raise_for_status()


async def test_first_cycle_without_a_backfill_only_stores_cursors(
    world: World, fresh_conn: Connector
) -> None:
    conn = fresh_conn
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock)
    requests = world.hubspot_stats()["requests"]
    report = await live.cycle()
    assert report.processed == 0
    assert set(conn.store.sync.get_cursors()) >= {"ARDELTA"}
    assert world.hubspot_stats()["requests"] == requests


async def test_a_burst_on_one_debtor_is_one_job_and_one_write(synced: Synced) -> None:
    code = sorted(synced.links())[3]
    for amount in (100.0, 200.0, 300.0, 400.0, 500.5):
        synced.world.post_transaction("invoices", code, amount)
    report = await synced.live.cycle()
    assert (report.queued, report.processed) == (1, 1)
    assert report.writes is not None
    assert (report.writes.updated, report.writes.calls) == (1, 1)
    (customer,) = await synced.conn.accredo.get_customers([code])
    company = synced.company(code, "accredo_balance_total", "accredo_last_invoice_date")
    assert company["accredo_balance_total"] == cents(customer.BalanceTotal)
    audit = synced.conn.store.sync.list_audit(COMPANY_RECORD, code)
    fields = {f for a in audit if a.reason == "accredo change" for f in a.changes}
    assert fields >= {"accredo_balance_total"}


async def test_the_change_feed_state_is_kept_with_the_cursors(synced: Synced) -> None:
    """The late-row window lives in the store: a restarted process carries it on."""
    code = sorted(synced.links())[4]
    synced.world.post_transaction("invoices", code, 12.5)
    await synced.live.cycle()
    state = synced.conn.store.sync.get_feed_state(ACCREDO_FEED)
    cursors = synced.conn.store.sync.get_cursors()
    assert state is not None
    assert max(state["seen"]["ARDELTA"]) == cursors["ARDELTA"]
    await synced.live.worker.stop()  # the process ends: its lease on the feed goes with it
    restarted = LiveSync(
        synced.conn.accredo,
        synced.conn.hubspot,
        synced.conn.store,
        synced.conn.config,
        synced.conn.clock,
    )
    report = await restarted.cycle()  # re-reads the overlap below the cursor, follows nothing
    assert (report.queued, report.processed) == (0, 0)
    assert synced.conn.store.sync.get_feed_state(ACCREDO_FEED) == state


async def test_run_prunes_the_audit_log_once_a_day(synced: Synced) -> None:
    store = synced.conn.store.sync
    old = synced.conn.clock.now() - timedelta(days=store_retention(synced) + 1)
    entry = AuditEntry(old, "hubspot", COMPANY_RECORD, "OLD", None, {"a": (None, "1")}, "x")
    store.add_audit([entry])
    await synced.live.cycle()  # the first cycle today prunes
    assert store.list_audit(COMPANY_RECORD, "OLD") == []
    store.add_audit([entry])
    await synced.live.cycle()  # pruned already today: left for tomorrow
    assert store.list_audit(COMPANY_RECORD, "OLD") == [entry]
    assert store.get_meta(AUDIT_PRUNED_KEY) == synced.conn.clock.today().isoformat()


def store_retention(synced: Synced) -> int:
    return synced.conn.config.sync.audit_retention_days


async def test_stop_credit_shows_as_on_stop(synced: Synced) -> None:
    code = sorted(synced.links())[5]
    synced.world.edit_customer(code, {"StopCredit": True})
    await synced.live.cycle()
    company = synced.company(code, "accredo_stop_credit", "accredo_credit_status")
    assert company == {
        **company,
        "accredo_stop_credit": "true",
        "accredo_credit_status": "on_stop",
    }


async def test_a_new_debtor_gets_a_new_company(synced: Synced) -> None:
    create_debtor(
        synced.world,
        {
            "CustomerCode": "NEWCO1",
            "CustomerName": "Ōtaki Orchard's Co-op Ltd",
            "EmailAddress": "accounts@otaki-orchard-coop.co.nz",
            "CreditLimit": 7500,
        },
    )
    report = await synced.live.cycle()
    assert report.writes is not None and report.writes.created == 1
    assert synced.links()["NEWCO1"][1] == "new"
    company = synced.company("NEWCO1", "name", "domain", "accredo_credit_limit")
    assert company["name"] == "Ōtaki Orchard's Co-op Ltd"
    assert company["domain"] == "otaki-orchard-coop.co.nz"
    assert company["accredo_credit_limit"] == "7500.00"


async def test_a_new_debtor_is_matched_to_the_company_holding_its_nzbn(synced: Synced) -> None:
    nzbn = new_nzbn(424242)
    company_id = synced.world.user_creates_company({"name": "Kea Tools", "nzbn": nzbn})
    httpx.post(f"{synced.world.hubspot.url}/_sim/search/index").raise_for_status()
    companies_before = len(synced.world.companies(["name"]))
    create_debtor(
        synced.world,
        {"CustomerCode": "KEATOO", "CustomerName": "Kea Tools Limited", "BusinessNo": nzbn},
    )
    report = await synced.live.cycle()
    assert report.writes is not None and report.writes.created == 0
    assert synced.links()["KEATOO"] == (company_id, "nzbn")
    assert len(synced.world.companies(["name"])) == companies_before
    company = synced.company("KEATOO", "name", "accredo_customer_code")
    assert company["name"] == "Kea Tools"  # a create-only field is not overwritten
    assert company["accredo_customer_code"] == "KEATOO"


async def test_a_new_debtor_is_matched_to_the_company_holding_its_code(synced: Synced) -> None:
    """The upper-case code is searched in lower case, which HubSpot needs for string values in
    ``IN`` (reference 5 "Case"); sent as it is, it would match nothing."""
    company_id = synced.world.user_creates_company(
        {"name": "Tōtara Timber", "accredo_customer_code": "TOTARA7"}
    )
    httpx.post(f"{synced.world.hubspot.url}/_sim/search/index").raise_for_status()
    create_debtor(synced.world, {"CustomerCode": "TOTARA7", "CustomerName": "Totara Timber Ltd"})
    report = await synced.live.cycle()
    assert report.writes is not None and report.writes.created == 0
    assert synced.links()["TOTARA7"] == (company_id, "code")


async def test_a_new_branch_sharing_a_domain_gets_its_own_company(synced: Synced) -> None:
    create_debtor(
        synced.world,
        {"CustomerCode": "BRANCHA", "CustomerName": "Tūī Traders Ltd", "EmailAddress": "a@tui.nz"},
    )
    await synced.live.cycle()
    assert synced.links()["BRANCHA"][1] == "new"
    httpx.post(f"{synced.world.hubspot.url}/_sim/search/index").raise_for_status()
    create_debtor(
        synced.world,
        {
            "CustomerCode": "BRANCHB",
            "CustomerName": "Tūī Traders Ltd (Napier)",
            "EmailAddress": "b@tui.nz",
        },
    )
    await synced.live.cycle()
    links = synced.links()
    assert "BRANCHB" in links
    assert links["BRANCHB"][0] != links["BRANCHA"][0]


async def test_a_quiet_cycle_calls_hubspot_not_at_all(synced: Synced) -> None:
    requests = synced.world.hubspot_stats()["requests"]
    report = await synced.live.cycle()
    assert (report.delta_rows, report.processed, report.hubspot_calls) == (0, 0, 0)
    assert synced.world.hubspot_stats()["requests"] == requests


async def test_the_daily_refresh_rechecks_everyone_but_sends_only_changes(synced: Synced) -> None:
    await synced.live.cycle()  # first cycle of the day notes the date
    today = synced.conn.clock.today()
    synced.conn.store.sync.set_meta(DAILY_REFRESH_KEY, (today - timedelta(days=1)).isoformat())
    writes = synced.world.hubspot_stats()["writes"]
    report = await synced.live.cycle()
    assert report.processed == DEBTORS
    assert report.writes is not None and report.writes.writes == 0
    assert synced.world.hubspot_stats()["writes"] == writes
    assert synced.conn.store.sync.get_meta(DAILY_REFRESH_KEY) == today.isoformat()


async def test_run_finishes_when_stop_is_set(synced: Synced) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(synced.live.run(stop))
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(task, timeout=3)
    assert task.done() and task.exception() is None


def queue_rows(synced: Synced) -> dict[str, str | None]:
    """Queued record -> the owner claiming it (None: unclaimed)."""
    queue = tables.work_queue.c
    with synced.conn.store.sync.engine.connect() as conn:
        return dict(conn.execute(select(queue.record_key, queue.claimed_by)).all())


def accredo_faults(world: World, **faults: float) -> None:
    httpx.put(f"{world.accredo.url}/_sim/faults", json=faults).raise_for_status()


async def stop_with_a_batch_in_hand(
    synced: Synced, nth: int, amount: float, *, grace_s: float, latency_ms: int, wait_s: float
) -> str:
    """Post an invoice of ``amount`` to the ``nth`` linked debtor while HubSpot answers after
    ``latency_ms``, run a live sync with ``grace_s`` of grace until it claims the debtor, then
    stop it (waiting ``wait_s`` for run to return). Returns the debtor's code."""
    conn, world = synced.conn, synced.world
    live = LiveSync(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, stop_grace_s=grace_s
    )
    code = sorted(synced.links())[nth]
    world.post_transaction("invoices", code, amount)
    world.hubspot_faults(latency_ms=latency_ms)
    stop = asyncio.Event()
    try:
        task = asyncio.create_task(live.run(stop))
        await await_until(
            lambda: queue_rows(synced).get(code) == live.worker.owner, "the claim", timeout_s=30
        )
        stop.set()
        await asyncio.wait_for(task, timeout=wait_s)
    finally:
        world.hubspot_faults(latency_ms=0)
    return code


async def test_a_stop_gives_back_a_batch_that_cannot_finish_in_the_grace(synced: Synced) -> None:
    """HubSpot hangs on the batch in hand: once the grace is over, run returns, the write is
    abandoned and the record is back in the queue for any worker, unrecorded."""
    conn = synced.conn
    code = await stop_with_a_batch_in_hand(
        synced, 13, 31.0, grace_s=0.2, latency_ms=20_000, wait_s=10
    )
    assert queue_rows(synced) == {code: None}
    assert not [
        a for a in conn.store.sync.list_audit(COMPANY_RECORD, code) if a.reason == "accredo change"
    ]


async def test_a_stop_lets_the_batch_in_hand_finish_within_the_grace(synced: Synced) -> None:
    conn = synced.conn
    code = await stop_with_a_batch_in_hand(synced, 14, 32.0, grace_s=30, latency_ms=500, wait_s=30)
    assert queue_rows(synced) == {}
    (customer,) = await conn.accredo.get_customers([code])
    company = synced.company(code, "accredo_balance_total")
    assert company["accredo_balance_total"] == cents(customer.BalanceTotal)


async def test_a_stop_drops_a_poll_in_progress_and_its_changes_are_read_again(
    synced: Synced,
) -> None:
    """Accredo hangs while the leader polls: run returns at once; the cursors did not move,
    so the next process reads the same changes."""
    conn, world = synced.conn, synced.world
    live = LiveSync(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, stop_grace_s=30
    )
    code = sorted(synced.links())[15]
    world.post_transaction("invoices", code, 33.0)
    cursors = conn.store.sync.get_cursors()
    accredo_faults(world, latency_ms=20_000)
    stop = asyncio.Event()
    try:
        task = asyncio.create_task(live.run(stop))
        await await_until(
            lambda: conn.store.sync.lease_holder(ACCREDO_POLL_LEASE) is not None,
            "the lease",
            timeout_s=30,
        )
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    finally:
        accredo_faults(world, latency_ms=0)
    assert conn.store.sync.get_cursors() == cursors
    assert queue_rows(synced) == {}
    report = await LiveSync(conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock).cycle()
    assert report.queued == 1 and report.processed == 1


@pytest.mark.slow
async def test_an_accredo_outage_is_waited_out_without_losing_the_change(synced: Synced) -> None:
    world = synced.world
    code = sorted(synced.links())[7]

    stop = asyncio.Event()
    # One try a request: the outage is ``run``'s to wait out (the client's own retries, some
    # seconds of backoff before a cycle gives up, are tests/accredo's).
    with stamina.set_testing(True, attempts=1):
        task = asyncio.create_task(synced.live.run(stop))
        try:
            accredo_faults(world, error_rate=1.0)
            world.post_transaction("invoices", code, 777.77)  # happens while the API is down
            await await_until(
                lambda: synced.conn.store.sync.get_last_error() is not None,
                "the last error",
                timeout_s=30,
            )
            accredo_faults(world, error_rate=0.0)
            await _until_balance_shows(synced, code)
        finally:
            accredo_faults(world, error_rate=0.0)
            stop.set()
            await asyncio.wait_for(task, timeout=10)
    last_error = synced.conn.store.sync.get_last_error() or ""
    assert last_error  # the outage is on record for `status`
    assert "sync-demo-password" not in last_error


async def test_run_polls_at_the_busy_pace_once_a_poll_finds_a_change(synced: Synced) -> None:
    live, world = synced.live, synced.world
    code = sorted(synced.links())[8]
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    try:
        await await_until(lambda: live.schedule.polls == 1, "the first poll", timeout_s=10)
        assert not live.schedule.busy  # nothing changed since the backfill
        world.post_transaction("invoices", code, 12.34)
        await await_until(lambda: live.schedule.busy, "a busy poll", timeout_s=30)
        assert live.schedule.interval() == live.schedule.intervals.busy_s < 1.0
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_a_hint_brings_the_next_poll_forward(synced: Synced) -> None:
    """Polling every five minutes when quiet, the change arrives because of the hint."""
    conn, world = synced.conn, synced.world
    code = sorted(synced.links())[10]
    slow = dataclasses.replace(
        conn.config, sync=dataclasses.replace(conn.config.sync, poll_interval_s=300.0)
    )
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, slow, conn.clock)
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    try:
        await await_until(lambda: live.schedule.polls == 1, "the first poll", timeout_s=10)
        world.post_transaction("invoices", code, 45.67)
        live.hint()
        await _until_balance_shows(synced, code)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def _until_balance_shows(synced: Synced, code: str) -> None:
    """Until the debtor's company shows its balance as Accredo has it now."""
    (customer,) = await synced.conn.accredo.get_customers([code])
    expected = cents(customer.BalanceTotal)
    await await_until(
        lambda: synced.company(code, "accredo_balance_total")["accredo_balance_total"] == expected,
        "the balance in HubSpot",
        timeout_s=30,
    )


async def test_a_change_to_an_unmapped_field_sends_nothing(synced: Synced) -> None:
    code = sorted(synced.links())[9]
    synced.world.edit_customer(code, {"Comment": "rang about the March statement"})
    requests = synced.world.hubspot_stats()["requests"]
    report = await synced.live.cycle()
    assert report.processed == 1  # the change was seen and the record re-read
    assert report.hubspot_calls == 0
    assert synced.world.hubspot_stats()["requests"] == requests


async def test_a_change_reaches_the_company_a_linked_one_was_merged_into(synced: Synced) -> None:
    """A sales user merges the connector's company into a duplicate they made by hand: the
    next change lands on the surviving company (HubSpot resolves the merged id)."""
    world = synced.world
    code = sorted(synced.links())[11]
    linked_id = synced.links()[code][0]
    duplicate = world.user_creates_company({"name": "the same business, typed again"})
    answer = httpx.post(
        f"{world.hubspot.url}/crm/v3/objects/companies/merge",
        json={"primaryObjectId": duplicate, "objectIdToMerge": linked_id},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    answer.raise_for_status()
    survivor = answer.json()["id"]
    world.post_transaction("invoices", code, 55.55)
    report = await synced.live.cycle()
    assert report.writes is not None
    assert report.writes.failed == 0, report.writes.failures
    (customer,) = await synced.conn.accredo.get_customers([code])
    company = world.companies(["accredo_balance_total", "accredo_customer_code"])[survivor]
    assert company["accredo_balance_total"] == cents(customer.BalanceTotal)
    assert company["accredo_customer_code"] == code


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked SQLite store fails after 50 ms instead of 10 s (set before the store opens)."""
    monkeypatch.setattr("accredo_hubspot.store.engine.SQLITE_BUSY_TIMEOUT_MS", 50)


@pytest.mark.slow
async def test_a_locked_state_store_is_waited_out_and_put_on_record(
    short_busy_timeout: None, synced: Synced
) -> None:
    """Another writer holds the database: the cycle cannot queue the change, nor record why;
    run waits, and once the store answers the change goes through and status shows the lock."""
    code = sorted(synced.links())[5]
    synced.world.post_transaction("invoices", code, 55.55)
    holder = sqlite3.connect(synced.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    stop = asyncio.Event()
    with structlog.testing.capture_logs() as events:
        task = asyncio.create_task(synced.live.run(stop))
        try:
            await await_until(
                lambda: any(e["event"] == "last error not recorded yet" for e in events),
                "the error not recorded",
                timeout_s=30,
            )
            holder.execute("ROLLBACK")
            await await_until(
                lambda: synced.conn.store.sync.get_last_error() is not None,
                "the last error",
                timeout_s=30,
            )
            await _until_balance_shows(synced, code)
        finally:
            holder.close()
            stop.set()
            await asyncio.wait_for(task, timeout=10)
    outage = next(e for e in events if e["event"] == "outage; will retry")
    assert "locked" in outage["error"]
    status = run_cli(
        ["status"],
        {"ACCREDO_HUBSPOT_DATABASE_URL": f"sqlite:///{synced.database}", "COLUMNS": "200"},
        synced.database.parent,
    )
    assert status.returncode == 0, status.stderr
    assert re.search(
        r"last error\W+StoreUnavailable: state store could not .*locked", status.stdout
    ), status.stdout


async def test_a_worker_without_the_feeds_lease_drains_but_does_not_poll(synced: Synced) -> None:
    """Several processes: one polls Accredo at a time; every one drains the queue."""
    store = synced.conn.store
    polled, queued = sorted(synced.links())[10:12]
    assert await store.acquire_lease(ACCREDO_POLL_LEASE, "elsewhere:1:leader", 600)
    synced.world.post_transaction("invoices", polled, 77.0)
    cursors = await store.get_cursors()
    await store.enqueue(TO_HUBSPOT, COMPANY_RECORD, [queued], "accredo change")
    report = await synced.live.cycle()
    assert (report.delta_rows, report.queued, report.processed) == (0, 0, 1)
    assert await store.get_cursors() == cursors  # the change is the leader's to read
    assert await store.queue_depth() == 0
    await store.release_lease(ACCREDO_POLL_LEASE, "elsewhere:1:leader")
    report = await synced.live.cycle()  # the leader is gone: this one polls now
    assert (report.queued, report.processed) == (1, 1)


async def test_each_change_brought_across_is_timed_and_a_failed_one_is_not(
    synced: Synced,
) -> None:
    """The latency histogram counts records written, from their change first seen (queued);
    a record that could not be written (its value refused) is not on the other side."""
    conn = synced.conn
    live = LiveSync(
        conn.accredo, conn.hubspot, conn.store, conn.config, conn.clock, metrics=conn.metrics
    )
    links = synced.links()
    good, bad = sorted(links)[5:7]
    gone = f"{synced.world.hubspot.url}/_sim/objects/companies/{links[bad][0]}"
    httpx.delete(gone).raise_for_status()  # a HubSpot user deletes the company of ``bad``
    for code in (good, bad):
        synced.world.post_transaction("invoices", code, 150.0)
    report = await live.cycle()
    assert report.processed == 2
    assert report.writes is not None and report.writes.failed_keys == {bad}
    timed = conn.metrics.percentiles(TO_HUBSPOT)
    assert timed is not None and timed.samples == 1
    assert timed.p50_s >= 0


async def test_webhook_events_are_brought_across_at_once_without_polling_accredo(
    synced: Synced,
) -> None:
    """With an hour between cycles, a contact a HubSpot user adds reaches Accredo as soon as
    its webhook events are stored (the web app sets ``webhook_events``), and Accredo's change
    feed is not read for it; two events of one contact queue it once."""
    conn, world = synced.conn, synced.world
    config = replace(conn.config, sync=replace(conn.config.sync, poll_interval_s=3600.0))
    live = LiveSync(conn.accredo, conn.hubspot, conn.store, config, conn.clock)
    code = sorted(synced.links())[14]
    company_id = synced.links()[code][0]
    email = "hemi.walker@harbourfreight.co.nz"
    contact = {"firstname": "Hemi", "lastname": "Walker", "email": email}
    contact_id = user_creates(world.hubspot.url, "contacts", contact, to=company_id, type_id=1)
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    try:
        await await_until(lambda: live.worker.started, "the worker", timeout_s=30)
        await asyncio.sleep(0.3)  # the first cycle, then an hour's wait
        feed_reads = delta_reads(world)
        events = {
            f"{n}": {
                "eventId": n,
                "occurredAt": 1_764_460_800_000 + n,
                "subscriptionType": kind,
                "objectId": int(contact_id),
                "propertyName": "email" if kind.endswith("propertyChange") else None,
            }
            for n, kind in enumerate(("contact.creation", "contact.propertyChange"), 1)
        }
        await conn.store.add_inbox("hubspot", events)
        live.webhook_events.set()
        await await_until(
            lambda: contact_id in conn.store.sync.get_links("contact").values(),
            "the contact linked",
            timeout_s=20,
        )
        assert delta_reads(world) == feed_reads
        (written,) = conn.store.sync.list_audit("contact")  # one write, for two events
        assert written.reason == "hubspot change"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


def delta_reads(world: World) -> int:
    """Reads of Accredo's change-tracking tables so far."""
    routes: dict[str, int] = sim_stats(world.accredo)["by_route"]
    return sum(n for route, n in routes.items() if "DELTA" in route or "DTFLD" in route)
