"""Live sync: bring each change across, both ways.

Each cycle queues what changed and drains the queue. Accredo's change-tracking rows after the
stored cursors (followed to their customers, and the contacts others changed) are queued
towards HubSpot, the cursors moving in the same transaction (DESIGN invariant 4); HubSpot's
webhook events, stored in the inbox by the web app, and the records HubSpot's search shows
changed since the last poll (``sync.hubspot_poll``) are queued towards Accredo. Then every
record type's queue is drained through its spec's pipeline: re-read the current records, plan
against the shadow of the side written, write only what changed. A cycle in which nothing
changed makes no call; an echo of the connector's own write (a webhook from its own app, a
record whose values are those it wrote) writes nothing. Webhook events do not wait for a
cycle: ``run`` takes them as soon as the web app has stored them and drains the queues towards
Accredo (``take_webhooks``), polling neither side.

Several ``run`` processes may share one PostgreSQL store (``worker``): only the one holding a
source's leader lease polls it; every one drains, claiming records with a lease.

A stop (SIGTERM, Ctrl-C) ends a cycle early: a poll in progress is dropped at once (the cursors
move only with the work they cover, so its changes are read again), no further batch is
claimed, and the batch in hand has ``STOP_GRACE_S`` to finish and be recorded before it is
abandoned and its claims given back. Draining whatever the queue holds (and whatever the poll
just queued) before stopping once kept a stopped process busy for over 30 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog

from accredo_hubspot.errors import ClassifiedError, ErrorKind
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.metrics import Metrics
from accredo_hubspot.shared import HUBSPOT_INBOX_SOURCE
from accredo_hubspot.store import (
    TO_ACCREDO,
    TO_HUBSPOT,
    AsyncStateStore,
    InboxEvent,
    LinkChange,
    QueueEntry,
    StoreError,
)
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.contacts import CONTACT_RECORD
from accredo_hubspot.sync.deals_won import DEAL_RECORD
from accredo_hubspot.sync.documents import DocumentPass
from accredo_hubspot.sync.drains import Drain, build_pipelines
from accredo_hubspot.sync.hubspot_poll import HubSpotPoller
from accredo_hubspot.sync.inbound import queued_records
from accredo_hubspot.sync.inbound_links import link_changes
from accredo_hubspot.sync.pipeline import Clock, SyncReport
from accredo_hubspot.sync.polling import PollIntervals, PollSchedule
from accredo_hubspot.sync.ports import AccredoPort, HubSpotPort
from accredo_hubspot.sync.reconcile import Reconcile
from accredo_hubspot.sync.worker import (
    ACCREDO_POLL_LEASE,
    HUBSPOT_POLL_LEASE,
    Worker,
    WorkerConflictError,
)
from accredo_hubspot.tasks import task_group

log = structlog.get_logger(__name__)
T = TypeVar("T")

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
#: Queue reasons of HubSpot's changes.
WEBHOOK_REASON = "hubspot webhook"
#: Webhook events turned into queue entries per store transaction.
INBOX_BATCH = 500
#: ``CycleReport.by_type``'s name of debtors written to their companies.
COMPANIES_OUT = f"{TO_HUBSPOT} {COMPANY_RECORD}"
#: The longest single wait for webhook events (the wait starts again after it).
WEBHOOK_WAIT_S = 60.0
#: After a stop is asked for, how long the batch in hand may take to finish (well inside the
#: 10 s a service manager or container runtime waits before it kills the process).
STOP_GRACE_S = 5.0


class CutShort(Exception):
    """The work in hand (named in the message) was dropped because the process is stopping."""


@dataclass
class CycleReport:
    """One poll-and-drain cycle."""

    delta_rows: int = 0
    queued: int = 0
    processed: int = 0
    writes: SyncReport | None = None
    webhook_events: int = 0
    hubspot_queued: int = 0
    by_type: dict[str, int] = field(default_factory=dict)  # "to_accredo contact" -> records

    @property
    def hubspot_calls(self) -> int:
        return self.writes.calls if self.writes else 0


class LiveSync:
    """The ``run`` loop of one worker. ``cycle`` polls (when this worker leads) and drains."""

    def __init__(
        self,
        accredo: AccredoPort,
        hubspot: HubSpotPort,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        *,
        owner: str | None = None,
        app_id: str | None = None,
        hubspot_poll_s: float = 0.0,
        wake: asyncio.Event | None = None,
        metrics: Metrics | None = None,
        stop_grace_s: float = STOP_GRACE_S,
        documents: Sequence[DocumentPass[Any]] = (),
    ) -> None:
        """``owner`` names this worker in the store's claims and leases (default: a new
        ``host:pid:random``). ``app_id`` is the connector's HubSpot app id (webhook events it
        caused are dropped). ``hubspot_poll_s`` is the time between searches of HubSpot for
        changes (0: no polling). ``wake`` cuts the wait for the next cycle short.
        ``webhook_events`` is set by the web app when it has stored webhook events: ``run``
        brings them across at once, beside the cycle (``take_webhooks``).
        ``metrics`` is told how long each change took to cross.
        ``stop_grace_s`` is how long a batch in hand may still take once a stop is asked for.
        ``documents`` (invoices, orders) get what each poll's changes ask for queued (a
        changed customer's invoices, the orders of a customer whose orders changed), and
        are recomputed whole when Accredo's business date moves."""
        self.worker = Worker(store, config.sync.worker_lease_s, owner)
        self._stop_grace_s = stop_grace_s
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._clock = clock
        self._app_id = app_id
        self._hubspot_poll_s = hubspot_poll_s
        self._next_hubspot_poll = 0.0
        self.wake = wake or asyncio.Event()
        self.webhook_events = asyncio.Event()
        #: Held while a queue towards Accredo drains: the cycle and ``take_webhooks`` drain
        #: those queues, and a worker's claims are its own (two drains would take one record).
        self._draining_in = asyncio.Lock()
        built = build_pipelines(accredo, hubspot, store, config, clock, documents)
        self._price_tiers = built.companies.tiers
        self._pipeline = built.company_pipeline
        self.drains = list(built.drains)
        self._deal_risk = built.deal_risk
        self._deal_risk_pipeline = built.deal_risk_pipeline
        self._documents = tuple(documents)
        #: The record types HubSpot's changes are queued for (those with a spec writing them).
        self.followed = tuple(d.record_type for d in self.drains if d.direction == TO_ACCREDO)
        self._poller = HubSpotPoller(hubspot, store, clock)
        sync = config.sync
        self.schedule = PollSchedule(
            PollIntervals(sync.poll_interval_s, sync.busy_poll_interval_s, sync.busy_poll_for_s)
        )
        self._hinted = asyncio.Event()
        self._unrecorded_error: str | None = None
        self._metrics = metrics

    async def cycle(self, stop: asyncio.Event | None = None) -> CycleReport:
        """Queue what changed (Accredo's feed if this process leads it, the webhook inbox,
        HubSpot's search when due and led), then drain every queue (every process drains:
        claims keep each record with one worker at a time).

        Once ``stop`` is set the cycle ends early (see the module docstring): it raises
        ``CutShort`` when it drops a poll or abandons a batch (whose claims are given back).
        """
        stop = stop or asyncio.Event()
        report = CycleReport()
        await self.worker.check()
        if stop.is_set():
            return report
        if await self.worker.lead(ACCREDO_POLL_LEASE):
            await _unless_stopped(self._poll(report), stop, 0, "the poll in progress")
        if not stop.is_set():
            await self._take_inbox(report)
        if self._hubspot_poll_s > 0 and self.followed and not stop.is_set():
            await _unless_stopped(
                self._poll_hubspot(report), stop, 0, "the HubSpot poll in progress"
            )
        for drain in self.drains:
            await self._drain(drain, report, stop)
        return report

    async def take_webhooks(self, stop: asyncio.Event | None = None) -> CycleReport:
        """The webhook events stored so far, brought across now: the inbox turned into queued
        records (coalesced as in a cycle: one entry per changed record) and the queues towards
        Accredo drained, polling neither side."""
        stop = stop or asyncio.Event()
        report = CycleReport()
        await self._take_inbox(report)
        for drain in self.drains:
            if drain.direction == TO_ACCREDO:
                await self._drain(drain, report, stop)
        return report

    async def _drain(self, drain: Drain, report: CycleReport, stop: asyncio.Event) -> None:
        if drain.direction != TO_ACCREDO:
            await self._drain_queue(drain, report, stop)
            return
        async with self._draining_in:
            await self._drain_queue(drain, report, stop)

    async def _drain_queue(self, drain: Drain, report: CycleReport, stop: asyncio.Event) -> None:
        worker = self.worker
        while not stop.is_set() and (
            entries := await worker.claim(drain.direction, drain.record_type, DRAIN_BATCH)
        ):
            keys = [entry.key for entry in entries]
            async with worker.holding(entries):
                sources = {e.key: e.source for e in entries if e.source is not None}
                writing = drain.pipeline.sync(
                    keys,
                    reason=_reason(drain),
                    completed=keys,
                    owner=worker.owner,
                    sources=sources,
                )
                result = await _unless_stopped(
                    writing,
                    stop,
                    self._stop_grace_s,
                    f"the batch in hand, {len(keys)} records, given back",
                )
                if not stop.is_set():
                    result.add(await self._deal_risk_after(drain, keys, result))
                if not stop.is_set() and drain.after is not None:
                    result.calls += await drain.after(keys)
            self._observe(drain.direction, entries, result)
            report.processed += len(entries)
            name = f"{drain.direction} {drain.record_type}"
            report.by_type[name] = report.by_type.get(name, 0) + len(entries)
            if report.writes is None:
                report.writes = result
            else:
                report.writes.add(result)

    async def _deal_risk_after(
        self, drain: Drain, keys: list[str], written: SyncReport
    ) -> SyncReport:
        """The company's risk onto its open deals: after deals HubSpot reports changed, and
        after debtors written to their companies (their open deals, batched; a debtor whose
        company did not change visits none)."""
        if drain.direction == TO_ACCREDO and drain.record_type == DEAL_RECORD:
            deals = keys
        elif drain.direction == TO_HUBSPOT and drain.record_type == COMPANY_RECORD:
            changed = [key for key in keys if key in written.written_keys]
            if not changed:
                return SyncReport()
            companies = await self._store.get_links(COMPANY_RECORD, changed)
            deals = await self._deal_risk.open_deals_of(sorted(set(companies.values())))
        else:
            return SyncReport()
        if not deals:
            return SyncReport()
        return await self._deal_risk_pipeline.sync(
            deals, reason=_reason(drain), completed=[], owner=self.worker.owner
        )

    async def _take_inbox(self, report: CycleReport) -> None:
        """Queue the records the stored webhook events name (one store transaction a batch;
        the connector's own writes and the events no spec acts on are only marked done)."""
        followed = self.followed
        app_id = self._app_id

        def plan(events: Sequence[InboxEvent]) -> dict[str, dict[str, str]]:
            return queued_records((e.payload for e in events), app_id, followed)

        def link_plan(events: Sequence[InboxEvent]) -> list[LinkChange]:
            return link_changes(e.payload for e in events)

        while True:
            taken, queued = await self._store.queue_inbox(
                HUBSPOT_INBOX_SOURCE,
                TO_ACCREDO,
                plan,
                WEBHOOK_REASON,
                INBOX_BATCH,
                link_plan=link_plan,
            )
            report.webhook_events += taken
            report.hubspot_queued += queued
            if taken < INBOX_BATCH:
                return

    async def _poll_hubspot(self, report: CycleReport) -> None:
        """Search HubSpot for changes when due, if this process leads that poll (the lease
        is renewed every cycle, so it does not lapse between polls)."""
        if not await self.worker.lead(HUBSPOT_POLL_LEASE):
            return
        now = time.monotonic()
        if now < self._next_hubspot_poll:
            return
        self._next_hubspot_poll = now + self._hubspot_poll_s
        queued = await self._poller.poll(self.followed)
        report.hubspot_queued += sum(queued.values())

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
        await self._price_tiers.sync_if_due()  # a price list added in Accredo, as an option
        state = await self._store.get_feed_state(ACCREDO_FEED)
        batch = await self._accredo.poll_changes(cursors, state)
        report.delta_rows = batch.rows_seen
        self.schedule.found(batch.rows_seen)
        due = [document for document in self._documents if await document.due()]
        if due:
            async with self.worker.holding([]):  # a long pass keeps this worker's leases
                for document in due:
                    await document.run(reason="daily recompute")
        contacts = batch.contact_ids if self._config.contact_fields else []
        also: dict[str, Sequence[str]] = {CONTACT_RECORD: contacts}
        for document in self._documents:
            also.update(document.queued(batch))
        changed = batch.cursors != cursors or batch.state != (state or {})
        if batch.customer_codes or contacts or changed:
            await self._store.enqueue_and_advance(
                TO_HUBSPOT,
                COMPANY_RECORD,
                batch.customer_codes,
                "accredo change",
                batch.cursors,
                {ACCREDO_FEED: batch.state},
                batch.sources,
                also=also,
            )
            report.queued = len(batch.customer_codes) + len(contacts)
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
        """Cycle on ``schedule`` (every ``sync.poll_interval_s``, or ``busy_poll_interval_s``
        for ``busy_poll_for_s`` after a poll finds changes) until ``stop`` is set (the batch in
        hand finished or given back), then give up this worker's leases. ``started`` is called
        once the worker has started: on SQLite, once it holds the store (beside another live
        worker it refuses to, ``WorkerConflictError``).

        Beside the cycles, webhook events are brought across as soon as the web app has
        stored them (``webhook_events``), without waiting for the next cycle."""
        try:
            if once:
                await self._run(stop, once=True, started=started)
                return
            async with task_group() as tasks:
                tasks.create_task(self._follow_webhooks(stop))
                await self._run(stop, once=False, started=started)
        finally:
            await self.worker.stop()

    async def _follow_webhooks(self, stop: asyncio.Event) -> None:
        """Until ``stop``: each time webhook events are stored, ``take_webhooks``. Events
        stored while it works are taken by the next round (the event is set again); what an
        outage leaves behind, the next cycle takes."""
        while not stop.is_set():
            waiting = asyncio.ensure_future(self.webhook_events.wait())
            try:
                await _sleep_unless(stop, WEBHOOK_WAIT_S, also=[waiting])
            finally:
                waiting.cancel()
            if stop.is_set() or not self.webhook_events.is_set():
                continue
            self.webhook_events.clear()
            if not self.worker.started:  # the first cycle takes them once the worker has
                continue
            try:
                report = await self.take_webhooks(stop)
            except CutShort as cut:
                log.info("stopped mid-cycle", dropped=str(cut))
                return
            except WorkerConflictError:
                raise
            except ClassifiedError as exc:  # the cycle meets it too, and waits it out
                await self._note_error(exc)
                log.warning("webhook events left for the next cycle", error=str(exc))
                continue
            self._log_synced(report)

    async def _run(
        self, stop: asyncio.Event, *, once: bool, started: Callable[[], None] | None
    ) -> None:
        failures = 0
        while not stop.is_set():
            self.schedule.started(time.monotonic())
            try:
                if not self.worker.started:  # in the loop: a busy store is waited out
                    await self.worker.start()
                    if started is not None:
                        started()
                report = await self.cycle(stop)
                failures = 0
                await self._record_error()
                self._log_synced(report)
            except CutShort as cut:
                log.info("stopped mid-cycle", dropped=str(cut))
                return
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
            await self._sleep(stop)

    @staticmethod
    def _log_synced(report: CycleReport) -> None:
        """One line for work that brought records across (none for an idle round)."""
        if not report.processed:
            return
        others = {
            name.replace(" ", "_"): count
            for name, count in sorted(report.by_type.items())
            if name != COMPANIES_OUT
        }
        log.info(
            "synced",
            customers=report.by_type.get(COMPANIES_OUT, 0),
            hubspot_calls=report.hubspot_calls,
            **others,
        )

    def hint(self) -> None:
        """Accredo's script says something changed (the web app calls this for a hint with
        the secret): the next cycle comes as soon as the schedule allows."""
        self.schedule.hint(time.monotonic())
        self._hinted.set()

    async def _sleep(self, stop: asyncio.Event) -> None:
        """Wait for the next cycle: until the schedule says it is due (a hint brings that
        forward), or less: until ``stop`` or a ``wake``."""
        while not (stop.is_set() or self.wake.is_set()):
            seconds = self.schedule.due() - time.monotonic()
            if seconds <= 0:
                break
            self._hinted.clear()  # the schedule has it: it is read again below
            waits = [
                asyncio.ensure_future(self.wake.wait()),
                asyncio.ensure_future(self._hinted.wait()),
            ]
            try:
                await _sleep_unless(stop, seconds, also=waits)
            finally:
                for wait in waits:
                    wait.cancel()
        self.wake.clear()

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
        """Days overdue and credit status move with the calendar: once a day (Accredo's
        business date), queue every linked debtor so those values are recomputed."""
        await self._clock.refresh()
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


async def _unless_stopped(
    work: Coroutine[Any, Any, T], stop: asyncio.Event, grace_s: float, what: str
) -> T:
    """``work``'s result; if ``stop`` is set first, ``work`` has ``grace_s`` more to finish,
    then is cancelled (``CutShort`` naming ``what``)."""
    async with task_group() as tasks:
        job = tasks.create_task(work)
        stopping = tasks.create_task(stop.wait())
        await asyncio.wait([job, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not job.done():
            await asyncio.wait([job], timeout=grace_s)
            job.cancel()
        stopping.cancel()
    if job.cancelled():
        raise CutShort(what)
    return job.result()


async def _sleep_unless(
    stop: asyncio.Event, seconds: float, *, also: Sequence[asyncio.Future[Any]] = ()
) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set or one of ``also`` completes."""
    if seconds <= 0:
        return
    stopping = asyncio.ensure_future(stop.wait())
    waits: set[asyncio.Future[Any]] = {stopping, *also}
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()


def _reason(drain: Drain) -> str:
    return "accredo change" if drain.direction == TO_HUBSPOT else "hubspot change"
