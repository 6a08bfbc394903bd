"""End to end on PostgreSQL: two ``accredo-hubspot run`` processes share one state store.

2,000 debtors change in Accredo and are queued (as the leader's poll of the change feed would
queue them); both processes drain the queue, each holding a batch of its own (claims never
overlap). One is killed with SIGKILL while it holds its batch; the other takes that batch over
once the lease runs out (``worker_lease_s``, two seconds here). Every change reaches HubSpot,
and every debtor is recorded written exactly once: a record handled by both processes at once
would be written and recorded twice. The survivor then stops cleanly on SIGTERM (it drops a
poll in progress and finishes or gives back the batch in hand, rather than draining what the
poll queues). Skipped, saying why, where no PostgreSQL server answers.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from accredo_hubspot.mapping.config import default_config_text, parse_config
from accredo_hubspot.runtime import accredo_client
from accredo_hubspot.store import StateStore, schema
from accredo_hubspot.store.models import TO_HUBSPOT
from tests.conftest import wait_until
from tests.e2e.operate import invoke
from tests.e2e.world import CLI, World, cents, running_world
from tests.logging_reset import restored_logging

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(1200)]

DEBTORS = 2000
#: Short leases so the survivor takes the killed worker's batch over within seconds.
LEASE_S = 2
#: Slow HubSpot down so a batch is still in hand when the kill lands.
LATENCY_MS = 100
#: Hang guards, not speed goals: on a loaded two-core machine, with coverage tracing the
#: simulators and both workers, the survivor's 1,500 records once took over two minutes.
DEADLINE_S = 360.0
#: A stop takes the batch in hand's grace (5 s) and the process's own shutdown.
STOP_DEADLINE_S = 60.0


def site_config(tmp_path: Path) -> Path:
    text = default_config_text()
    text = re.sub(r"(?m)^worker_lease_s = .*$", f"worker_lease_s = {LEASE_S}", text)
    text = re.sub(r"(?m)^poll_interval_s = .*$", "poll_interval_s = 0.2", text)
    # Debtors only: the backfill queues no contacts, and the queue holds the debtors alone.
    text = re.sub(r"(?m)^\[\[contact_fields\]\]\n(?:\w+ = .*\n)*", "", text)
    assert not parse_config(text, "site").contact_fields
    assert f"worker_lease_s = {LEASE_S}" in text
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def workers(
    env: dict[str, str], config: Path, logs: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two ``run`` processes; any still running at the end is killed."""
    with ExitStack() as stack:
        processes = []
        for n in (1, 2):
            log = stack.enter_context((logs / f"run{n}.log").open("wb"))
            processes.append(
                subprocess.Popen(
                    [CLI, "run", "--config", str(config)],
                    # Each request in the log: a failure shows what the workers were doing.
                    env={**env, "ACCREDO_HUBSPOT_LOG_LEVEL": "DEBUG"},
                    cwd=logs,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
        try:
            yield processes
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=10)


def claims_by_pid(store: StateStore) -> dict[int, set[str]]:
    """Queued records each process holds now, by the pid in its owner id."""
    queue = schema.work_queue.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(queue.claimed_by, queue.record_key).where(queue.claimed_by.is_not(None))
        ).all()
    held: dict[int, set[str]] = {}
    for owner, key in rows:
        held.setdefault(int(owner.split(":")[1]), set()).add(key)
    return held


def writes_recorded(store: StateStore) -> dict[str, int]:
    """How many writes of a live change the audit log holds, per debtor."""
    audit = schema.audit_log.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(audit.record_key, func.count())
            .where(audit.reason == "accredo change")
            .group_by(audit.record_key)
        ).all()
    return {key: int(count) for key, count in rows}


async def latest_delta_ids(world: World, tmp_path: Path) -> dict[str, int]:
    """Where Accredo's change feed ends now."""
    settings = world.settings(tmp_path / "unused.db").require_accredo()
    async with accredo_client(settings) as accredo:
        return await accredo.latest_delta_ids()


async def accredo_balances(world: World, tmp_path: Path) -> dict[str, str]:
    """Every debtor's balance as HubSpot should show it (read from Accredo's API)."""
    settings = world.settings(tmp_path / "unused.db").require_accredo()
    async with accredo_client(settings) as accredo:
        return {c.CustomerCode: cents(c.BalanceTotal) async for c in accredo.iter_customers()}


def _with_progress(what: str, store: StateStore, logs: Path) -> Callable[[], str]:
    """``what`` a test waits for, with where the work stands when the wait times out."""
    return lambda: f"{what}\n{_progress(store, logs)}"


def _progress(store: StateStore, logs: Path) -> str:
    """Where the work stands, and the end of each worker's log, for a failure message."""
    held = {pid: len(keys) for pid, keys in claims_by_pid(store).items()}
    return (
        f"writes recorded: {len(writes_recorded(store))}, queued: {store.queue_depth()}, "
        f"held by pid: {held}\n{_log_tails(logs)}"
    )


def _log_tails(logs: Path, lines: int = 15) -> str:
    """The end of each worker's log, for a failure message."""
    return "\n".join(
        f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        for path in sorted(logs.glob("run*.log"))
    )


def test_two_workers_share_the_queue_and_one_takes_over_from_a_killed_one(
    postgres_url: str, tmp_path: Path
) -> None:
    config = site_config(tmp_path)
    with running_world(customers=DEBTORS) as world, StateStore.open(postgres_url) as store:
        env = {**world.env(tmp_path / "unused.db"), "ACCREDO_HUBSPOT_DATABASE_URL": postgres_url}
        # setup and backfill in this process (typer's runner): the two `run`s are the processes
        # this test is about.
        for command in (["setup"], ["backfill", "--config", str(config)]):
            with restored_logging():
                exit_code, _out, err = invoke(command, env, tmp_path)
            assert exit_code == 0, err
        codes = sorted(store.get_links("company"))
        assert len(codes) == DEBTORS
        world.hubspot_faults(latency_ms=LATENCY_MS)
        # Every debtor changes, and all 2,000 are queued before the workers start, with the
        # change feed's cursors past the changes (as the leader's poll would leave them): both
        # workers then claim at once. Following 2,000 changes to their debtors took the leader
        # over 90 s on a loaded machine, while the other worker drained alone.
        answer = httpx.post(
            f"{world.accredo.url}/_sim/post/invoices",
            json={
                "items": [
                    {"CustomerCode": code, "Amount": 100 + n / 100} for n, code in enumerate(codes)
                ]
            },
            timeout=120,
        )
        answer.raise_for_status()
        cursors = asyncio.run(latest_delta_ids(world, tmp_path))
        store.enqueue_and_advance(TO_HUBSPOT, "company", codes, "accredo change", cursors)
        assert store.queue_depth() == DEBTORS
        with workers(env, config, tmp_path) as (first, second):
            held: dict[int, set[str]] = {}

            def both_hold_a_batch() -> bool:
                held.clear()
                held.update(claims_by_pid(store))
                return len(held) == 2

            stuck = "both workers holding a batch at once"
            wait_until(
                both_hold_a_batch, _with_progress(stuck, store, tmp_path), timeout_s=DEADLINE_S
            )
            assert not held[first.pid] & held[second.pid]
            victim, survivor = first, second
            victim.send_signal(signal.SIGKILL)  # mid-batch: its claims are in hand
            victim.wait(timeout=10)
            killed_batch = claims_by_pid(store).get(victim.pid, set())
            # Done when every debtor's write is recorded (the queue also empties between the
            # leader's polls, before the feed is read to its end).
            wait_until(
                lambda: len(writes_recorded(store)) == DEBTORS,
                _with_progress("every change written", store, tmp_path),
                timeout_s=DEADLINE_S,
            )
            wait_until(
                lambda: store.queue_depth() == 0,
                _with_progress("the queue to drain", store, tmp_path),
                timeout_s=DEADLINE_S,
            )
            assert survivor.poll() is None, "the survivor kept running"
            survivor.send_signal(signal.SIGTERM)
            try:
                survivor_exit = survivor.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the survivor did not stop on SIGTERM\n{_progress(store, tmp_path)}")
        world.hubspot_faults(latency_ms=0)
        writes = writes_recorded(store)
        balances = asyncio.run(accredo_balances(world, tmp_path))
        links = store.get_links("company")
        companies = world.companies(["accredo_balance_total"])
    assert killed_batch, "the kill landed while the victim held a batch"
    assert survivor_exit == 0
    # None lost: every debtor's change reached HubSpot, the killed batch's too.
    assert {code: companies[links[code]]["accredo_balance_total"] for code in codes} == {
        code: balances[code] for code in codes
    }
    # None handled by both at once: each debtor's write recorded once (two workers writing a
    # record together would both record it).
    assert writes == dict.fromkeys(codes, 1)
