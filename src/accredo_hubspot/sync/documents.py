"""What invoices and orders share: the custom object as this portal has it, Accredo's
business date, the record type of a document written to a custom object record (``DocumentSpec``)
and the whole-ledger pass that brings every one across (``DocumentPass``).

A custom object's ``objectTypeId`` and its association type to companies are the portal's own
(reference hubspot-api.md section 7: read them from the schema and the v4 labels), so they are
read once when the sync starts. "Today" for days overdue is Accredo's business date
(``sync.business_date``), so HubSpot agrees with Accredo's aging and follows it (not the wall
clock) when someone moves it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar

import structlog

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.hubspot.models import (
    AssociationType,
    BatchOutcome,
    InlineAssociation,
    ObjectSchema,
    WriteInput,
)
from accredo_hubspot.mapping.config import FieldRule, MappingConfig
from accredo_hubspot.mapping.objects import INVOICE_OBJECT, SUMMARY_PROPERTIES
from accredo_hubspot.shared import ChangeBatch
from accredo_hubspot.store import AsyncStateStore, Side
from accredo_hubspot.sync.business_date import BusinessDate
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.pipeline import Clock, Pipeline, SyncReport
from accredo_hubspot.sync.planner import RecordPlan, RuleSet, compile_rules
from accredo_hubspot.sync.records import LINK, NEW, Association, SourceRecord, Target
from accredo_hubspot.sync.spec import ApplyOutcome, outcome_of
from accredo_hubspot.sync.streaming import CHUNKS_IN_FLIGHT, ChunkStream
from accredo_hubspot.tasks import gather, task_group

log = structlog.get_logger(__name__)

COMPANIES = "companies"
#: Queue keys naming a customer rather than one document (``customer_key``).
CUSTOMER_PREFIX = "customer:"
#: Chunks held at once (``sync.streaming``): those being written, and one read ahead of them.
DOCUMENT_CHUNKS_HELD = CHUNKS_IN_FLIGHT + 1


class DocumentsUnavailable(ConnectorError):
    """The portal has no such custom object (setup not run, or no custom objects there)."""


class DocumentSink(Protocol):
    """The HubSpot calls invoices and orders make (``HubSpotClient`` has them)."""

    async def list_schemas(self) -> list[ObjectSchema]: ...

    async def association_labels(self, from_type: str, to_type: str) -> list[AssociationType]: ...

    async def batch_update(
        self, object_type: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome: ...

    async def batch_create_unique(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome: ...

    async def batch_archive(self, object_type: str, ids: Sequence[str]) -> int: ...

    async def get_properties(self, object_type: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class DocumentObject:
    """A custom object on this portal: its type id and how a record joins its company."""

    name: str
    type_id: str
    company_category: str
    company_type_id: int

    def to_company(self, company_id: str) -> InlineAssociation:
        return InlineAssociation(company_id, self.company_type_id, self.company_category)


class CustomObjects:
    """The portal's custom objects as one start reads them: the schemas listed once (whether
    setup made the custom objects, then each pass's object) and each object's association to
    companies once. ``documents_config`` and the passes of one start share one."""

    def __init__(self, hubspot: DocumentSink) -> None:
        self.hubspot = hubspot
        self._reading = asyncio.Lock()
        self._schemas: list[ObjectSchema] | None = None
        self._resolved: dict[str, DocumentObject] = {}

    async def names(self) -> set[str]:
        """The names of the portal's custom objects."""
        return {schema.name for schema in await self._listed()}

    async def resolve(self, name: str) -> DocumentObject:
        """The custom object ``name`` on this portal (``DocumentsUnavailable`` when missing)."""
        if (found := self._resolved.get(name)) is not None:
            return found
        for schema in await self._listed():
            if schema.name != name:
                continue
            labels = await self.hubspot.association_labels(schema.object_type_id, COMPANIES)
            if not labels:
                raise DocumentsUnavailable(f"custom object {name} is not associated to companies")
            chosen = next((t for t in labels if t.label is None), labels[0])
            found = DocumentObject(name, schema.object_type_id, chosen.category, chosen.type_id)
            self._resolved[name] = found
            return found
        raise DocumentsUnavailable(
            f"HubSpot has no custom object {name}: run `accredo-hubspot setup` (custom objects "
            "need an Enterprise portal)"
        )

    async def _listed(self) -> list[ObjectSchema]:
        async with self._reading:
            if self._schemas is None:
                self._schemas = await self.hubspot.list_schemas()
        return self._schemas


async def documents_config(objects: CustomObjects, config: MappingConfig) -> MappingConfig:
    """``config``, with ``[documents] custom_objects`` off when HubSpot refused the custom
    objects at setup: the portal has no ``accredo_invoice`` object but has the company summary
    properties setup creates instead. Then the summaries are written to the company."""
    if not config.documents.custom_objects:
        return config
    if INVOICE_OBJECT in await objects.names():
        return config
    names = {p.get("name") for p in await objects.hubspot.get_properties(COMPANIES)}
    if SUMMARY_PROPERTIES[0].name not in names:
        return config
    return replace(config, documents=replace(config.documents, custom_objects=False))


def customer_key(code: str) -> str:
    """The queue key asking for every document of a customer (a live change names the
    customer, not the invoices a receipt paid: reference accredo-api.md 9.4)."""
    return CUSTOMER_PREFIX + normalise_code(code)


def split_keys(keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """Queue keys as (customer codes, document ids)."""
    codes = [k.removeprefix(CUSTOMER_PREFIX) for k in keys if k.startswith(CUSTOMER_PREFIX)]
    return codes, [k for k in keys if not k.startswith(CUSTOMER_PREFIX)]


class Billed(Protocol):
    """A document of one customer (``ARTransaction``, ``OEOrder``)."""

    @property
    def CustomerCode(self) -> str: ...


B = TypeVar("B", bound=Billed)
T = TypeVar("T")


class DocumentSpec(Generic[B]):
    """What the invoice and order record types share (``RecordSpec[B]``; each reads its own
    in ``fetch``):
    a document is a record of a custom object keyed by its Accredo id (a unique-value
    property), matched by its stored link; a new one is created with its company association
    in the batch create call (reference hubspot-api.md 4.1), and a create resent after a crash
    meets the unique id and becomes an update (``batch_create_unique``). A document whose
    customer has no company in HubSpot yet is not created (it would be an orphan): its
    customer's own failure is the dead letter, and the document is created with the company
    (the customer's next change, or the daily pass)."""

    side: Side = "hubspot"

    def __init__(
        self,
        record_type: str,
        object_name: str,
        id_property: str,
        rules: Sequence[FieldRule],
        config: MappingConfig,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        business_date: BusinessDate,
        objects: CustomObjects,
    ) -> None:
        self.record_type = record_type
        self.object_name = object_name
        self.id_property = id_property
        self.rules = RuleSet(
            compile_rules(tuple(rules), "hubspot", config.tz),
            key_field=id_property,
            missing=f"{record_type} not found in Accredo",
        )
        self._config = config
        self.business_date = business_date
        self._hubspot = hubspot
        self._store = store
        self._objects = objects

    async def resolve(self) -> DocumentObject:
        """The portal's custom object (read from HubSpot once)."""
        return await self._objects.resolve(self.object_name)

    async def ready(self) -> DocumentObject:
        """The custom object, and a fresh business date."""
        await self.business_date.refresh()
        return await self.resolve()

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[B]]:
        """The records ``keys`` name (each document type reads its own)."""
        raise NotImplementedError

    async def match(self, records: Sequence[SourceRecord[B]]) -> list[Target]:
        """The stored link; else a new record, associated to the customer's linked company
        (none when the customer has no company yet: nothing is written for it)."""
        links = await self._store.get_links(self.record_type, [r.key for r in records])
        codes = [normalise_code(r.origin.CustomerCode) for r in records if r.key not in links]
        companies = await self._store.get_links(COMPANY_RECORD, codes) if codes else {}
        targets = []
        for record in records:
            if (remote := links.get(record.key)) is not None:
                targets.append(Target(record.key, remote, LINK))
            elif company := companies.get(normalise_code(record.origin.CustomerCode)):
                to = (Association("companies", company),)
                targets.append(Target(record.key, None, NEW, associations=to))
        return targets

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """Updates by id and creates (with their company) in batches; one call per 100."""
        target = await self.ready()
        updates = [WriteInput(p.key, p.remote_id, p.values) for p in plans if not p.is_create]
        creates = [
            WriteInput(p.key, p.key, p.values, (target.to_company(p.target.associations[0].to_id),))
            for p in plans
            if p.is_create
        ]
        return outcome_of(
            *await gather(self._update(target, updates), self._create(target, creates))
        )

    async def archive(self, keys: Sequence[str]) -> tuple[int, int]:
        """Archive in HubSpot the linked records of ``keys`` and forget them: (calls, archived)."""
        target = await self.resolve()
        gone = await self._store.get_links(self.record_type, list(keys))
        calls = await self._hubspot.batch_archive(target.type_id, list(gone.values()))
        await self._store.forget(self.record_type, list(gone))
        return calls, len(gone)

    async def _update(self, target: DocumentObject, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_update(target.type_id, inputs)

    async def _create(self, target: DocumentObject, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_create_unique(target.type_id, self.id_property, inputs)


@dataclass
class DocumentReport(SyncReport):
    """A ``SyncReport`` plus the documents read and archived."""

    documents: int = 0
    archived: int = 0


C = TypeVar("C")
Progress = Callable[[int], None]


class DocumentPass(Generic[C]):
    """Every document at once: the backfill of a document type, and the daily recompute that
    is the same pass.

    Documents stream from Accredo a chunk at a time; each chunk is matched, planned against
    the shadow and written (``write_chunk``) while the next is read; at most
    ``DOCUMENT_CHUNKS_HELD`` chunks are held, so memory does not grow with the ledger.
    Because plans are made against the shadow, the pass run again on a later business date
    writes only what the calendar changed, in batches of 100. Linked records of ``spec``
    that the pass no longer meets are archived in HubSpot and forgotten.
    ``recompute_if_new_day`` runs the pass when Accredo's business date has moved
    since the last one (``meta_key`` in the store's meta)."""

    name = "documents"
    meta_key = ""

    def __init__(self, store: AsyncStateStore, spec: DocumentSpec[Any], clock: Clock) -> None:
        self.business_date = spec.business_date
        self._store = store
        self._spec = spec
        #: The pipeline that writes the pass's record type (live sync drains its queue too).
        self.pipeline: Pipeline[Any] = Pipeline(spec, store, clock)
        #: The business date this process last saw the pass done for (``due``).
        self._passed_for: str | None = None

    def queued(self, batch: ChangeBatch) -> dict[str, list[str]]:
        """What a poll of Accredo's changes queues: record type -> keys."""
        raise NotImplementedError

    def chunks(self) -> AsyncIterator[C]:
        """The documents, a chunk at a time."""
        raise NotImplementedError

    def records(self, chunk: C) -> Sequence[SourceRecord[Any]]:
        """A chunk as the records of ``pipeline`` (a pass of one record type)."""
        raise NotImplementedError

    async def write_chunk(
        self, chunk: C, report: DocumentReport, reason: str, send_turn: asyncio.Lock
    ) -> set[str]:
        """Write one chunk into ``report``; the keys of the records it holds: its ``records``
        through ``pipeline``."""
        records = self.records(chunk)
        await write_records(self.pipeline, records, report, reason, send_turn)
        report.documents += len(records)
        return {record.key for record in records}

    async def after_written(self, keys: Sequence[str]) -> int:
        """What follows a live batch of ``keys`` written (none by default); the HubSpot calls
        it made."""
        return 0

    async def start(self) -> None:
        """What the pass does before its first chunk is read."""

    async def finish(self, report: DocumentReport, reason: str) -> None:
        """What the pass does once every chunk is written (after the archive)."""

    async def available(self) -> bool:
        """Whether the portal has the pass's custom object (HubSpot is read, Accredo not
        yet); a missing one is said in the debug log."""
        try:
            await self._spec.resolve()
        except DocumentsUnavailable as exc:
            log.debug(f"{self.name} not synced", reason=str(exc))
            return False
        return True

    async def due(self) -> bool:
        """Whether Accredo's business date has moved since the last pass. The store is read
        only when the date is not the one this process last saw passed (every poll asks)."""
        await self._spec.ready()
        today = self.business_date.today().isoformat()
        if today == self._passed_for:
            return False
        if await self._store.get_meta(self.meta_key) == today:
            self._passed_for = today
            return False
        return True

    async def recompute_if_new_day(self) -> DocumentReport | None:
        """Run the pass when Accredo's business date has moved since the last one."""
        if not await self.due():
            return None
        return await self.run(reason="daily recompute")

    async def run(
        self, *, reason: str = "backfill", progress: Progress | None = None
    ) -> DocumentReport:
        """Bring every document across; archive the linked ones no longer met."""
        await self._spec.ready()
        today = self.business_date.today()
        unseen = set(await self._store.get_links(self._spec.record_type))
        report = DocumentReport()
        await self.start()
        async with task_group() as tasks:
            chunks = ChunkStream(tasks, self.chunks(), held=DOCUMENT_CHUNKS_HELD)

            async def write(chunk: C) -> None:
                written = await self.write_chunk(chunk, report, reason, chunks.send_turn)
                unseen.difference_update(written)
                if progress:
                    progress(report.documents)

            await chunks.write(write)
        if unseen:
            calls, report.archived = await self._spec.archive(sorted(unseen))
            report.calls += calls
        await self.finish(report, reason)
        await self._store.set_meta(self.meta_key, today.isoformat())
        self._passed_for = today.isoformat()
        log.info(
            f"{self.name} synced",
            reason=reason,
            documents=report.documents,
            writes=report.writes,
            archived=report.archived,
            calls=report.calls,
        )
        return report


async def write_records(
    pipeline: Pipeline[T],
    records: Sequence[SourceRecord[T]],
    report: SyncReport,
    reason: str,
    send_turn: asyncio.Lock | None = None,
) -> None:
    """Match, plan and write records a pass read (into ``report``)."""
    targets = await pipeline.spec.match(records)
    report.add(await pipeline.write(records, targets, reason=reason, send_turn=send_turn))
