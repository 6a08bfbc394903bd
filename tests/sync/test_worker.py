"""A ``run`` process as one worker among several: owner ids, claims renewed while a batch is
written and given back when it fails, one worker on SQLite (a dead one's lease taken over)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

import pytest

from accredo_hubspot.store import TO_HUBSPOT, AsyncStateStore
from accredo_hubspot.sync.worker import (
    ACCREDO_POLL_LEASE,
    SQLITE_WORKER_LEASE,
    Worker,
    WorkerConflictError,
    new_owner_id,
    owner_is_dead,
)
from tests.e2e.world import dead_owner

CO = "company"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[AsyncStateStore]:
    async with await AsyncStateStore.open(store_url) as opened:
        yield opened


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[AsyncStateStore]:
    async with await AsyncStateStore.open(sqlite_url) as opened:
        yield opened


def test_an_owner_names_host_and_process_and_is_unique() -> None:
    owner = new_owner_id()
    host, pid, tag = owner.split(":")
    assert (host, pid) == (socket.gethostname(), str(os.getpid()))
    assert tag and owner != new_owner_id()


def test_only_an_ended_process_of_this_host_counts_as_dead() -> None:
    assert owner_is_dead(dead_owner())
    assert not owner_is_dead(new_owner_id())  # this process
    assert not owner_is_dead(f"elsewhere.example:{os.getpid() + 10**6}:ab")  # not ours to judge
    assert not owner_is_dead("garbled")


async def test_on_sqlite_a_second_worker_is_refused_until_the_first_stops(
    sqlite_store: AsyncStateStore,
) -> None:
    first, second = Worker(sqlite_store, 30), Worker(sqlite_store, 30)
    await first.start()
    with pytest.raises(WorkerConflictError, match="SQLite allows one worker") as refused:
        await second.start()
    assert first.owner in str(refused.value) and "\n" not in str(refused.value)
    await first.stop()
    await second.start()
    await second.stop()


async def test_on_sqlite_a_dead_workers_leases_are_taken_over(
    sqlite_store: AsyncStateStore,
) -> None:
    dead = dead_owner()
    for name in (SQLITE_WORKER_LEASE, ACCREDO_POLL_LEASE):
        assert await sqlite_store.acquire_lease(name, dead, 600)
    worker = Worker(sqlite_store, 30)
    await worker.start()
    assert await worker.lead(ACCREDO_POLL_LEASE)  # no need to wait ten minutes
    holder = await sqlite_store.lease_holder(SQLITE_WORKER_LEASE)
    assert holder is not None and holder[0] == worker.owner
    await worker.stop()
    assert await sqlite_store.lease_holder(SQLITE_WORKER_LEASE) is None


async def test_on_sqlite_the_one_worker_leads_every_source(sqlite_store: AsyncStateStore) -> None:
    """A feed polled by a process that never ran as the worker (a script, a test calling
    ``cycle``) is no reason to wait: on SQLite the worker is the only one working."""
    assert await sqlite_store.acquire_lease(ACCREDO_POLL_LEASE, new_owner_id(), 600)
    worker = Worker(sqlite_store, 30)
    await worker.start()
    assert await worker.lead(ACCREDO_POLL_LEASE)
    await worker.stop()


@pytest.mark.postgres
async def test_on_postgresql_workers_start_side_by_side_and_one_leads(
    postgres_url: str,
) -> None:
    async with await AsyncStateStore.open(postgres_url) as store:
        first, second = Worker(store, 30), Worker(store, 30)
        await first.start()
        await second.start()
        assert await first.lead(ACCREDO_POLL_LEASE)
        assert not await second.lead(ACCREDO_POLL_LEASE)
        await first.stop()  # gives the lease up: the other need not wait for it to lapse
        assert await second.lead(ACCREDO_POLL_LEASE)
        await second.stop()


async def test_claims_are_renewed_while_the_batch_is_written(store: AsyncStateStore) -> None:
    lease_s = 0.6
    await store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "delta")
    writer, other = Worker(store, lease_s), Worker(store, lease_s)
    entries = await writer.claim(TO_HUBSPOT, CO, 10)
    assert len(entries) == 2
    async with writer.holding(entries):
        await asyncio.sleep(lease_s * 3)  # a batch outlasting its lease several times over
        assert await other.claim(TO_HUBSPOT, CO, 10) == []
    await asyncio.sleep(lease_s * 1.5)  # once the block ends nothing renews them
    assert len(await other.claim(TO_HUBSPOT, CO, 10)) == 2


async def test_a_failed_batch_is_given_back_at_once(store: AsyncStateStore) -> None:
    await store.enqueue(TO_HUBSPOT, CO, ["C1", "C2"], "delta")
    writer, other = Worker(store, 600), Worker(store, 600)
    entries = await writer.claim(TO_HUBSPOT, CO, 10)
    with pytest.raises(RuntimeError, match="HubSpot fell over"):
        async with writer.holding(entries):
            raise RuntimeError("HubSpot fell over")
    assert await other.claim(TO_HUBSPOT, CO, 10) == entries  # not after ten minutes: now
