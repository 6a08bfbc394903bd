"""Every invoice at once: the invoice backfill, and the daily recompute that is the same pass.

Invoices stream from Accredo in TransactionID order, a page at a time; each chunk is matched
(its stored links, its customers' companies), planned against the shadow and written, while
the next chunk is read; at most ``READ_AHEAD_CHUNKS + CHUNKS_IN_FLIGHT`` chunks are held, so
memory does not grow with the ledger. Because plans are made against the shadow, the pass run
again on a later business date writes only what the calendar changed (status and days
overdue of invoices that fell due), in batches of 100. Linked invoices the pass no longer
meets (paid more than ``paid_archive_after_days`` ago, or gone from Accredo) are archived in
HubSpot and forgotten.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from accredo_hubspot.accredo.models import ARTransaction
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.documents import DocumentSink, DocumentsUnavailable
from accredo_hubspot.sync.invoices import INVOICE_RECORD, InvoiceSource, InvoiceSpec
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.tasks import task_group

log = structlog.get_logger(__name__)

#: Chunks read ahead of the writers, and chunks being written at once (as the company
#: backfill: one chunk's store commit overlaps the next one's HubSpot calls).
READ_AHEAD_CHUNKS = 1
CHUNKS_IN_FLIGHT = 2
#: Invoices per chunk (one Accredo page).
CHUNK_SIZE = 2000
#: When the invoices were last recomputed, by Accredo business date (the store's meta).
RECOMPUTED_KEY = "invoices_recomputed_for"

Progress = Callable[[int], None]


@dataclass
class InvoiceReport(SyncReport):
    """A ``SyncReport`` plus the invoices read and archived."""

    invoices: int = 0
    archived: int = 0


class InvoiceSync:
    """The whole-ledger pass over invoices (``run``), and the once-per-business-day trigger
    of it (``recompute_if_new_day``)."""

    def __init__(
        self,
        accredo: InvoiceSource,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        *,
        spec: InvoiceSpec | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self.spec = spec or InvoiceSpec(accredo, hubspot, store, config)
        self.pipeline = Pipeline(self.spec, store, clock)
        self._chunk_size = chunk_size

    async def recompute_if_new_day(self) -> InvoiceReport | None:
        """Run the pass when Accredo's business date has moved since the last one."""
        await self.spec.ready()
        today = self.spec.business_date.today().isoformat()
        if await self._store.get_meta(RECOMPUTED_KEY) == today:
            return None
        report = await self.run(reason="daily recompute")
        return report

    async def run(
        self, *, reason: str = "backfill", progress: Progress | None = None
    ) -> InvoiceReport:
        """Bring every invoice across; archive the linked ones no longer owing or recent."""
        invoice_object = await self.spec.ready()
        today = self.spec.business_date.today()
        unseen = set(await self._store.get_links(INVOICE_RECORD))
        report = InvoiceReport()
        chunks: asyncio.Queue[list[ARTransaction] | None] = asyncio.Queue(READ_AHEAD_CHUNKS)
        slots = asyncio.Semaphore(CHUNKS_IN_FLIGHT)
        send_turn = asyncio.Lock()

        async def write(chunk: list[ARTransaction]) -> None:
            try:
                records = self.spec.records(chunk)
                targets = await self.spec.match(records)
                part = await self.pipeline.write(
                    records, targets, reason=reason, send_turn=send_turn
                )
                report.add(part)
                report.invoices += len(chunk)
                if progress:
                    progress(report.invoices)
            finally:
                slots.release()

        async with task_group() as tasks:
            tasks.create_task(self._read(chunks))
            while (chunk := await chunks.get()) is not None:
                unseen.difference_update(str(i.TransactionID) for i in chunk)
                await slots.acquire()
                tasks.create_task(write(chunk))
        if unseen:
            gone = await self._store.get_links(INVOICE_RECORD, sorted(unseen))
            report.calls += await self._hubspot.batch_archive(
                invoice_object.type_id, list(gone.values())
            )
            await self._store.forget(INVOICE_RECORD, list(gone))
            report.archived = len(gone)
        await self._store.set_meta(RECOMPUTED_KEY, today.isoformat())
        log.info(
            "invoices synced",
            reason=reason,
            invoices=report.invoices,
            writes=report.writes,
            archived=report.archived,
            calls=report.calls,
        )
        return report

    async def _read(self, out: asyncio.Queue[list[ARTransaction] | None]) -> None:
        chunk: list[ARTransaction] = []
        reading = self._accredo.iter_invoices(
            paid_since=self.spec.paid_since(), page_size=self._chunk_size
        )
        async for invoice in reading:
            chunk.append(invoice)
            if len(chunk) >= self._chunk_size:
                await out.put(chunk)
                chunk = []
        if chunk:
            await out.put(chunk)
        await out.put(None)


async def invoice_sync(
    accredo: InvoiceSource,
    hubspot: DocumentSink,
    store: AsyncStateStore,
    config: MappingConfig,
    clock: Clock,
) -> InvoiceSync | None:
    """The invoice sync, when the configuration wants custom objects and the portal has the
    ``accredo_invoice`` object; else ``None`` (said in the debug log)."""
    if not config.documents.custom_objects:
        return None
    invoices = InvoiceSync(accredo, hubspot, store, config, clock)
    try:
        await invoices.spec.resolve()  # HubSpot only: Accredo is first read in the loop
    except DocumentsUnavailable as exc:
        log.debug("invoices not synced", reason=str(exc))
        return None
    return invoices
