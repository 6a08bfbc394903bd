"""One ``run`` process among several: its owner id, its leases, and how it keeps them.

Several processes on one PostgreSQL database share the queue: each claims records with its
owner id and a lease, renews the lease while it works and completes the records when their
write commits; a process that dies loses its claims when the lease runs out and another takes
them. One process at a time polls each source: the one holding that source's leader lease,
renewed every cycle. On SQLite one worker is the rule: a process holds the ``worker`` lease
for as long as it runs, and a second one is refused (``WorkerConflictError``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime

import structlog

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.store import AsyncStateStore, Direction, QueueEntry, StoreError
from accredo_hubspot.tasks import task_group

log = structlog.get_logger(__name__)

#: The lease of the process polling Accredo's change feed (and doing the daily chores).
ACCREDO_POLL_LEASE = "poll:accredo"
#: The lease of the process polling HubSpot's search for changes (``sync.hubspot_poll``).
HUBSPOT_POLL_LEASE = "poll:hubspot"
#: Every source's leader lease.
SOURCE_LEASES = (ACCREDO_POLL_LEASE, HUBSPOT_POLL_LEASE)
#: The lease a process holds for as long as it runs on SQLite, where one worker is the rule.
SQLITE_WORKER_LEASE = "worker"
#: Renewals per lease: a lease is renewed after a third of it has passed.
RENEWALS_PER_LEASE = 3


class WorkerConflictError(ConnectorError):
    """Another live worker holds this SQLite state store."""


def new_owner_id() -> str:
    """``host:pid:random``: unique per process, and readable in the store by an operator."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def owner_is_dead(owner: str) -> bool:
    """Whether ``owner`` was a process on this host that no longer runs (its leases are
    stale); an owner on another host, or not ours to judge, counts as alive."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a process of another user: alive
        return False
    return False


class Worker:
    """This process's claims and leases in the store, renewed together."""

    def __init__(self, store: AsyncStateStore, lease_s: float, owner: str | None = None) -> None:
        self.owner = owner or new_owner_id()
        self.lease_s = lease_s
        self._store = store
        self._held: set[str] = set()
        self._started = False

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        """On SQLite, take the ``worker`` lease, or refuse if another live worker holds it
        (one left by a process of this host that died is taken over)."""
        if self._store.supports_several_workers or self._started:
            self._started = True
            return
        if not await self.lead(SQLITE_WORKER_LEASE):
            holder = await self._store.lease_holder(SQLITE_WORKER_LEASE)
            if holder is None or not owner_is_dead(holder[0]):
                raise WorkerConflictError(_conflict(holder))
            # The one worker died (killed, power cut); its claims lapse with their lease.
            await self._store.release_lease(SQLITE_WORKER_LEASE, holder[0])
            if not await self.lead(SQLITE_WORKER_LEASE):
                raise WorkerConflictError(
                    _conflict(await self._store.lease_holder(SQLITE_WORKER_LEASE))
                )
            log.info("took over from a worker that died", previous=holder[0])
        # The one worker now: a source's lease held by anyone else is stale (a process that
        # died, or one that polled without running as a worker), so it is this worker's.
        for name in SOURCE_LEASES:
            holder = await self._store.lease_holder(name)
            if holder is not None and holder[0] != self.owner:
                await self._store.release_lease(name, holder[0])
        self._started = True

    async def check(self) -> None:
        """Renew the SQLite ``worker`` lease (each cycle, once started): losing it means
        another worker took the store while this one was stalled past its lease, so this one
        stops."""
        if self._store.supports_several_workers or not self._started:
            return
        if not await self.lead(SQLITE_WORKER_LEASE):
            raise WorkerConflictError(
                _conflict(await self._store.lease_holder(SQLITE_WORKER_LEASE))
            )

    async def lead(self, name: str) -> bool:
        """Take or renew the lease ``name``; true while this worker holds it."""
        if await self._store.acquire_lease(name, self.owner, self.lease_s):
            self._held.add(name)
            return True
        self._held.discard(name)
        return False

    async def claim(self, direction: Direction, record_type: str, limit: int) -> list[QueueEntry]:
        """Claim up to ``limit`` queued records of one direction and type, for a lease."""
        return await self._store.claim(
            self.owner, limit, self.lease_s, direction=direction, record_type=record_type
        )

    @asynccontextmanager
    async def holding(self, entries: Sequence[QueueEntry]) -> AsyncIterator[None]:
        """Work on ``entries``: their claims (and this worker's leases) are renewed until the
        block ends; if it fails, they are given back for any worker to take at once."""
        try:
            async with task_group() as tasks:
                renewing = tasks.create_task(self._renew_every_while(entries))
                try:
                    yield
                finally:
                    renewing.cancel()
        except BaseException:
            with suppress(StoreError):
                await self._store.release(self.owner, entries)
            raise

    async def stop(self) -> None:
        """Give up every lease (a successor need not wait for them to lapse)."""
        for name in sorted(self._held):
            with suppress(StoreError):
                await self._store.release_lease(name, self.owner)
        self._held.clear()
        self._started = False

    async def _renew_every_while(self, entries: Sequence[QueueEntry]) -> None:
        while True:
            await asyncio.sleep(self.lease_s / RENEWALS_PER_LEASE)
            try:
                taken = await self._store.renew_claims(self.owner, entries, self.lease_s)
                for name in sorted(self._held):
                    await self.lead(name)
            except StoreError as exc:  # the store may answer again before the lease runs out
                log.warning("claims not renewed", error=str(exc))
                continue
            if taken:
                log.warning("claims lost to another worker", lost=taken)


def _conflict(holder: tuple[str, datetime] | None) -> str:
    who = holder[0] if holder else "another worker"
    until = f" (its lease runs to {holder[1]:%H:%M:%S} UTC)" if holder else ""
    return (
        f"another accredo-hubspot run, {who}, is working on this SQLite state store{until}; "
        f"SQLite allows one worker: stop it, or use PostgreSQL to run several"
    )
