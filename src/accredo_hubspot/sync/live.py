"""Live sync: poll Accredo's change-tracking tables and bring the changes to HubSpot.

Each cycle reads the delta rows after the stored cursors (the client follows transaction
rows to their customers), queues the customers and moves the cursors in one transaction
(DESIGN invariant 4), then drains the queue: re-read the current records, plan against the
shadow, write only what changed. A cycle in which nothing changed makes no HubSpot call.

Several ``run`` processes may share one PostgreSQL store (``worker``): only the one holding
Accredo's leader lease polls; every one drains, claiming records with a lease.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from accredo_hubspot.errors import ClassifiedError, ErrorKind
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.metrics import Metrics
from accredo_hubspot.store import TO_HUBSPOT, AsyncStateStore, QueueEntry, StoreError
from accredo_hubspot.sync.companies import COMPANY_RECORD, CompanySpec
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.sync.ports import AccredoSource, HubSpotSink
from accredo_hubspot.sync.reconcile import Reconcile
from accredo_hubspot.sync.worker import ACCREDO_POLL_LEASE, Worker, WorkerConflictError

log = structlog.get_logger(__name__)

#: Queue entries handled per write step.
DRAIN_BATCH = 500
#: Wait after an Accredo or HubSpot outage before the next cycle, doubling up to the cap.
OUTAGE_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
DAILY_REFRESH_KEY = "daily_refresh_date"
AUDIT_PRUNED_KEY = "audit_pruned_date"
#: When ``run`` last reconciled by itself (``sync.reconcile_interval_h``).
RECONCILED_AT_KEY = "reconciled_at"
#: The Accredo change feed's name in the store (its state beside the cursors).
ACCREDO_FEED = "accredo"


@dataclass
class CycleReport:
    """One poll-and-drain cycle."""

    delta_rows: int = 0
    queued: int = 0
    processed: int = 0
    writes: SyncReport | None = None

    @property
    def hubspot_calls(self) -> int:
        return self.writes.calls if self.writes else 0


class LiveSync:
    """The ``run`` loop of one worker. ``cycle`` polls (when this worker leads) and drains."""

    def __init__(
        self,
        accredo: AccredoSource,
        hubspot: HubSpotSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        *,
        owner: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """``owner`` names this worker in the store's claims and leases (default: a new
        ``host:pid:random``); ``metrics`` is told how long each change took to cross."""
        self.worker = Worker(store, config.sync.worker_lease_s, owner)
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._clock = clock
        self._pipeline = Pipeline(CompanySpec(accredo, hubspot, store, config, clock), store, clock)
        self._unrecorded_error: str | None = None
        self._metrics = metrics

    async def cycle(self) -> CycleReport:
        """Poll Accredo if this process leads its change feed, then drain the queue (every
        process drains: claims keep each record with one worker at a time)."""
        report = CycleReport()
        await self.worker.check()
        if await self.worker.lead(ACCREDO_POLL_LEASE):
            await self._poll(report)
        while entries := await self.worker.claim(TO_HUBSPOT, COMPANY_RECORD, DRAIN_BATCH):
            async with self.worker.holding(entries):
                sources = {e.key: e.source for e in entries if e.source is not None}
                result = await self.process([entry.key for entry in entries], sources)
            self._observe(TO_HUBSPOT, entries, result)
            report.processed += len(entries)
            if report.writes is None:
                report.writes = result
            else:
                report.writes.add(result)
        return report

    async def _poll(self, report: CycleReport) -> None:
        """Read Accredo's change rows after the cursors; queue their customers and move the
        cursors in one transaction. Also the once-a-day chores (one process does them)."""
        cursors = await self._store.get_cursors()
        if not cursors:
            # Never backfilled: start from now; older history is the backfill's job.
            await self._store.set_cursors(await self._accredo.latest_delta_ids())
            return
        await self._daily_refresh()
        await self._daily_audit_prune()
        await self._scheduled_reconcile()
        state = await self._store.get_feed_state(ACCREDO_FEED)
        batch = await self._accredo.poll_changes(cursors, state)
        report.delta_rows = batch.rows_seen
        if batch.customer_codes or batch.cursors != cursors or batch.state != (state or {}):
            await self._store.enqueue_and_advance(
                TO_HUBSPOT,
                COMPANY_RECORD,
                batch.customer_codes,
                "accredo change",
                batch.cursors,
                {ACCREDO_FEED: batch.state},
                batch.sources,
            )
            report.queued = len(batch.customer_codes)
        if batch.unresolved:
            log.info("delta rows not followed", rows=batch.unresolved[:20])

    def _observe(self, direction: str, entries: Sequence[QueueEntry], result: SyncReport) -> None:
        """Latency, change seen to written, of the records brought across (not those that
        failed: their change is not on the other side)."""
        if self._metrics is not None:
            seen = [e.seen_at for e in entries if e.key not in result.failed_keys]
            self._metrics.synced(direction, seen, self._clock.now())

    async def process(
        self, codes: Sequence[str], sources: Mapping[str, str] | None = None
    ) -> SyncReport:
        """Bring these customers' current state to HubSpot; they leave the queue on commit
        (codes no longer in Accredo, deleted or renamed, have nothing to send). ``sources``
        names the change behind each code, for the audit."""
        return await self._pipeline.sync(
            codes,
            reason="accredo change",
            completed=list(codes),
            owner=self.worker.owner,
            sources=sources,
        )

    async def run(
        self,
        stop: asyncio.Event,
        *,
        once: bool = False,
        started: Callable[[], None] | None = None,
    ) -> None:
        """Cycle every ``poll_interval_s`` until ``stop`` is set (after the batch in hand),
        then give up this worker's leases. ``started`` is called once the worker has started:
        on SQLite, once it holds the store (beside another live worker it refuses to,
        ``WorkerConflictError``)."""
        try:
            await self._run(stop, once=once, started=started)
        finally:
            await self.worker.stop()

    async def _run(
        self, stop: asyncio.Event, *, once: bool, started: Callable[[], None] | None
    ) -> None:
        interval_s = self._config.sync.poll_interval_s
        failures = 0
        while not stop.is_set():
            cycle_started = time.monotonic()
            try:
                if not self.worker.started:  # in the loop: a busy store is waited out
                    await self.worker.start()
                    if started is not None:
                        started()
                report = await self.cycle()
                failures = 0
                await self._record_error()
                if report.processed:
                    log.info(
                        "synced",
                        customers=report.processed,
                        hubspot_calls=report.hubspot_calls,
                    )
            except WorkerConflictError:  # not this store's error to record: its worker is fine
                raise
            except ClassifiedError as exc:  # anything else is a bug: let its traceback show
                await self._note_error(exc)
                if exc.kind is not ErrorKind.RETRIABLE:
                    raise
                wait_s = OUTAGE_BACKOFF_S[min(failures, len(OUTAGE_BACKOFF_S) - 1)]
                failures += 1
                log.warning("outage; will retry", error=str(exc), wait_s=wait_s)
                if once:
                    raise
                await _sleep_unless(stop, wait_s)
                continue
            if once:
                return
            await _sleep_unless(stop, interval_s - (time.monotonic() - cycle_started))

    async def _note_error(self, exc: ClassifiedError) -> None:
        """Keep the error for ``status``, from either system or the store itself."""
        self._unrecorded_error = f"{type(exc).__name__}: {exc}"
        await self._record_error()

    async def _record_error(self) -> None:
        """Write the kept error; if the store is what failed, try again after the next cycle."""
        if self._unrecorded_error is None:
            return
        try:
            await self._store.set_last_error(self._unrecorded_error)
        except StoreError as exc:
            log.warning("last error not recorded yet", error=str(exc))
            return
        self._unrecorded_error = None

    async def _daily_refresh(self) -> None:
        """Days overdue and credit status move with the calendar: once a day (company time),
        queue every linked debtor so those values are recomputed."""
        today = self._clock.today().isoformat()
        last = await self._store.get_meta(DAILY_REFRESH_KEY)
        if last == today:
            return
        if last is not None:
            linked = list(await self._store.get_links(COMPANY_RECORD))
            await self._store.enqueue(TO_HUBSPOT, COMPANY_RECORD, linked, "daily refresh")
        await self._store.set_meta(DAILY_REFRESH_KEY, today)

    async def _scheduled_reconcile(self) -> None:
        """Every ``sync.reconcile_interval_h`` (0: never), compare both sides and repair the
        drift (a missed change, an outage, a hand edit heals). The first interval starts when
        the first ``run`` polls."""
        interval_h = self._config.sync.reconcile_interval_h
        if interval_h <= 0:
            return
        now = self._clock.now()
        last = await self._store.get_meta(RECONCILED_AT_KEY)
        if last is None:
            await self._store.set_meta(RECONCILED_AT_KEY, now.isoformat())
            return
        if now - datetime.fromisoformat(last) < timedelta(hours=interval_h):
            return
        reconcile = Reconcile(self._accredo, self._hubspot, self._store, self._config, self._clock)
        async with self.worker.holding([]):  # a long pass keeps this worker's leases
            report = await reconcile.run(repair=True)
        await self._store.set_meta(RECONCILED_AT_KEY, now.isoformat())
        log.info(
            "reconciled",
            compared=report.compared,
            drifted=len(report.records()),
            fields=report.counts(),
            repaired=report.repaired.writes,
        )

    async def _daily_audit_prune(self) -> None:
        """Once a day, delete audit entries older than ``sync.audit_retention_days``."""
        today = self._clock.today().isoformat()
        if await self._store.get_meta(AUDIT_PRUNED_KEY) == today:
            return
        days = self._config.sync.audit_retention_days
        pruned = await self._store.prune_audit(self._clock.now() - timedelta(days=days))
        if pruned:
            log.info("audit log pruned", entries=pruned, retention_days=days)
        await self._store.set_meta(AUDIT_PRUNED_KEY, today)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
