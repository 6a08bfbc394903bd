"""Backfill: every Accredo debtor into HubSpot once, matched, in batches of 100, resumable.

HubSpot's companies are read in pages once and matched locally (never one search per debtor:
search is limited to a few requests a second, capped at 10,000 results and lags writes, which
is how other connectors create duplicates). Debtors stream from Accredo page by page; each
chunk is matched, planned and written while the next chunk is read. Interrupted and run again,
it links what a previous run created (the upsert key ``accredo_customer_code`` makes a retried
create land on the same company) and sends nothing for records that already agree.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.companies import (
    COMPANIES,
    COMPANY_RECORD,
    CompanySpec,
    DebtorDocuments,
    customer_fields,
    mapped_properties,
    target_of,
)
from accredo_hubspot.sync.matcher import (
    CompanyIndex,
    MatchResult,
    company_keys,
    match_all,
)
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.sync.ports import AccredoSource, HubSpotSink
from accredo_hubspot.sync.streaming import ChunkStream, chunked
from accredo_hubspot.tasks import task_group

log = structlog.get_logger(__name__)

#: Debtors matched, planned and written together, at most (a page at a time). The backfill's
#: memory is mostly the chunks it holds (their debtors, documents, plans and HubSpot's answers):
#: at 50,000 debtors 2,000 a chunk peaked at ~200 MB resident and 1,000 at ~170 MB, for ~4%
#: more batch calls (each chunk's creates and updates leave a part-filled batch each).
CHUNK_DEBTORS = 1000

Progress = Callable[[int, int | None], None]


@dataclass
class BackfillReport(SyncReport):
    """A ``SyncReport`` plus the figures only a backfill has."""

    debtors: int = 0
    companies_listed: int = 0


class Backfill:
    """One backfill run. ``run`` returns its report; ``progress(done, total)`` is called often."""

    def __init__(
        self,
        accredo: AccredoSource,
        hubspot: HubSpotSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        *,
        chunk_size: int | None = None,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self._clock = clock
        self._spec = CompanySpec(accredo, hubspot, store, config, clock)
        self._pipeline = Pipeline(self._spec, store, clock)
        # One Accredo page (``accredo_page_size``, at most ``CHUNK_DEBTORS``) a chunk.
        self._chunk_size = chunk_size or min(config.sync.accredo_page_size, CHUNK_DEBTORS)
        self._links: dict[str, str] = {}

    async def run(self, progress: Progress | None = None) -> BackfillReport:
        await self._clock.refresh()  # day counts from Accredo's business date
        if not await self._store.get_cursors():
            # Live sync starts from here: anything that changes during the backfill is
            # picked up again by the change feed (re-reading current state is harmless).
            await self._store.set_cursors(await self._accredo.latest_delta_ids())
        async with task_group() as tasks:
            report = await self._run(tasks, progress)
        await self._store.set_meta("backfill_completed_at", self._clock.now().isoformat())
        log.info("backfill finished", debtors=report.debtors, calls=report.calls)
        return report

    async def _run(self, tasks: asyncio.TaskGroup, progress: Progress | None) -> BackfillReport:
        """The backfill's tasks, all in ``tasks``: a failure in any cancels the others."""
        report = BackfillReport()
        total_task = tasks.create_task(self._accredo.count_customers())
        # The first debtors (and their open transactions) are read while HubSpot's companies
        # are listed.
        chunks = ChunkStream(tasks, self._chunks(tasks))
        current = await self._known_companies()
        report.companies_listed = len(current)
        index = CompanyIndex.build(
            current, self._config.nzbn_property, self._config.generic_email_domains
        )

        def total() -> int | None:
            return total_task.result() if total_task.done() else None

        if progress:
            progress(0, total())
        # Every link, stored or made in this run: a company claimed by one debtor (in any
        # chunk, or by an earlier run) is never matched to a second one.
        self._links = await self._store.get_links(COMPANY_RECORD)

        async def write(chunk: _Chunk, matches: list[MatchResult]) -> None:
            documents = await chunk.documents
            part = await self._write_chunk(
                chunk.customers, matches, current, documents, chunks.send_turn
            )
            report.add(part)
            report.debtors += len(chunk.customers)
            if progress:
                progress(report.debtors, total())

        def matched(chunk: _Chunk) -> Awaitable[None]:
            return write(chunk, self._match(chunk.customers, index))  # in chunk order

        await chunks.write(matched)
        if progress:  # the count may have come in after the last chunk: say it now
            progress(report.debtors, await total_task)
        return report

    def _match(self, chunk: Sequence[ARCustomer], index: CompanyIndex) -> list[MatchResult]:
        """Match a chunk against the index and every claim so far, then claim its matches."""
        matches = match_all(chunk, index, self._links)
        for match in matches:
            if match.company_id is not None and match.via != "ambiguous":
                self._links[match.code] = match.company_id
        return matches

    async def _write_chunk(
        self,
        chunk: Sequence[ARCustomer],
        matches: Sequence[MatchResult],
        current: dict[str, dict[str, str]],
        documents: DebtorDocuments,
        send_turn: asyncio.Lock,
    ) -> SyncReport:
        targets = [
            target_of(m, current[m.company_id])
            if m.company_id is not None and m.company_id in current and m.via != "link"
            else target_of(m)
            for m in matches
        ]
        return await self._pipeline.write(
            self._spec.records(chunk, documents),
            targets,
            reason="backfill",
            send_turn=send_turn,
        )

    async def _chunks(self, tasks: asyncio.TaskGroup) -> AsyncIterator[_Chunk]:
        """Chunks of debtors in code order, a page each (a page is read only when the stream
        has room for its chunk)."""
        page_size = min(self._config.sync.accredo_page_size, self._chunk_size)
        fields = customer_fields(self._config)
        reading = self._accredo.iter_customers(page_size=page_size, fields=fields)
        async for customers in chunked(reading, self._chunk_size):
            yield self._chunk(customers, tasks)

    def _chunk(self, customers: list[ARCustomer], tasks: asyncio.TaskGroup) -> _Chunk:
        """A chunk of debtors, their open transactions and orders already on their way.

        Debtors stream in code order, so one range query per chunk reads exactly its
        documents: the first chunk's writes need not wait for every document in Accredo.
        """
        first = customers[0].CustomerCode
        last = customers[-1].CustomerCode
        return _Chunk(customers, tasks.create_task(self._spec.documents_between(first, last)))

    async def _known_companies(self) -> dict[str, dict[str, str]]:
        """HubSpot's companies, listed page by page; only their keys are kept."""
        names = mapped_properties(self._config)
        return {
            company.id: keys
            async for company in self._hubspot.iter_objects(COMPANIES, names)
            if (keys := company_keys(company, names)) is not None
        }


@dataclass
class _Chunk:
    """Debtors read together (one Accredo page) and the read of their documents."""

    customers: list[ARCustomer]
    documents: asyncio.Task[DebtorDocuments]
