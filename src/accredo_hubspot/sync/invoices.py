"""The invoice record type: an Accredo AR invoice written to an ``accredo_invoice`` record,
associated to its customer's company.

Keyed by ``TransactionID`` (written as the unique ``accredo_transaction_id``). A new invoice is
created with its company association in the same batch call (reference hubspot-api.md 4.1),
and a create resent after a crash meets the unique id and becomes an update
(``batch_create_unique``). An invoice whose customer has no company in HubSpot yet is not
created (it would be an orphan) until the company is. Values are planned against the shadow
like every record type, so an unchanged invoice sends nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from accredo_hubspot.accredo.models import ARTransaction
from accredo_hubspot.hubspot.models import BatchOutcome, WriteInput
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.invoices import INVOICE_RULES, invoice_values
from accredo_hubspot.mapping.objects import INVOICE_ID_PROPERTY, INVOICE_OBJECT
from accredo_hubspot.store import AsyncStateStore, Side
from accredo_hubspot.sync.companies import COMPANY_RECORD
from accredo_hubspot.sync.documents import (
    BusinessDate,
    DocumentObject,
    DocumentSink,
    resolve_object,
)
from accredo_hubspot.sync.planner import RecordPlan, RuleSet, compile_rules
from accredo_hubspot.sync.records import LINK, NEW, Association, SourceRecord, Target
from accredo_hubspot.sync.spec import ApplyOutcome, Failure
from accredo_hubspot.tasks import gather

#: The state store's record type of an invoice (key: its TransactionID).
INVOICE_RECORD = "invoice"
#: Queue keys naming a customer rather than one invoice (``customer_key``).
CUSTOMER_PREFIX = "customer:"


def invoice_rules(tz: ZoneInfo) -> RuleSet:
    """The invoice rules, compiled to write HubSpot, keyed on the unique transaction id."""
    return RuleSet(
        compile_rules(INVOICE_RULES, "hubspot", tz),
        key_field=INVOICE_ID_PROPERTY,
        missing="invoice not found in Accredo",
    )


class InvoiceSource(Protocol):
    """The Accredo reads invoices need (``AccredoClient`` has them)."""

    async def system_date(self) -> date: ...

    async def get_transactions(self, ids: Sequence[str]) -> list[ARTransaction]: ...

    def iter_invoices(
        self, *, paid_since: date, page_size: int = 2000
    ) -> AsyncIterator[ARTransaction]: ...

    def iter_invoices_of(
        self, codes: Sequence[str], *, paid_since: date
    ) -> AsyncIterator[ARTransaction]: ...


def customer_key(code: str) -> str:
    """The queue key asking for every invoice of a customer (a live change names the
    customer, not the invoices a receipt paid: reference accredo-api.md 9.4)."""
    return CUSTOMER_PREFIX + code.strip().upper()


class InvoiceSpec:
    """AR invoices to ``accredo_invoice`` records (``RecordSpec[ARTransaction]``).

    ``fetch`` takes invoice keys (TransactionIDs) or ``customer_key``s, which read every
    invoice of that customer still owing or paid within ``paid_archive_after_days``. "Today"
    is Accredo's business date, read again at most a minute after the last read.
    """

    record_type = INVOICE_RECORD
    side: Side = "hubspot"

    def __init__(
        self,
        accredo: InvoiceSource,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        config: MappingConfig,
        business_date: BusinessDate | None = None,
    ) -> None:
        self._accredo = accredo
        self._hubspot = hubspot
        self._store = store
        self._config = config
        self.business_date = business_date or BusinessDate(accredo.system_date)
        self.rules = invoice_rules(config.tz)
        self._object: DocumentObject | None = None

    async def resolve(self) -> DocumentObject:
        """The portal's ``accredo_invoice`` object (read from HubSpot once)."""
        if self._object is None:
            self._object = await resolve_object(self._hubspot, INVOICE_OBJECT)
        return self._object

    async def ready(self) -> DocumentObject:
        """The invoice object, and a fresh business date."""
        await self.business_date.refresh()
        return await self.resolve()

    def paid_since(self) -> date:
        """Paid invoices are kept (status paid) this long, then archived."""
        days = self._config.documents.paid_archive_after_days
        return self.business_date.today() - timedelta(days=days)

    def records(self, invoices: Sequence[ARTransaction]) -> list[SourceRecord[ARTransaction]]:
        today = self.business_date.today()
        return [
            SourceRecord(str(i.TransactionID), invoice_values(i, today), i)
            for i in invoices
            if i.TransactionType == "I"
        ]

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[ARTransaction]]:
        await self.ready()
        codes = [k.removeprefix(CUSTOMER_PREFIX) for k in keys if k.startswith(CUSTOMER_PREFIX)]
        ids = [k for k in keys if not k.startswith(CUSTOMER_PREFIX)]
        invoices = await self._accredo.get_transactions(ids) if ids else []
        if codes:
            reading = self._accredo.iter_invoices_of(codes, paid_since=self.paid_since())
            invoices += [invoice async for invoice in reading]
        return self.records(invoices)

    async def match(self, records: Sequence[SourceRecord[ARTransaction]]) -> list[Target]:
        """The stored link; else a new record, associated to the customer's linked company.

        An invoice whose customer has no company in HubSpot yet gets no target, so nothing is
        written for it: its customer's own failure is the dead letter, and the invoice is
        created with the company (the customer's next change, or the daily pass)."""
        links = await self._store.get_links(INVOICE_RECORD, [r.key for r in records])
        codes = [r.origin.CustomerCode.strip().upper() for r in records if r.key not in links]
        companies = await self._store.get_links(COMPANY_RECORD, codes) if codes else {}
        targets = []
        for record in records:
            if (remote := links.get(record.key)) is not None:
                targets.append(Target(record.key, remote, LINK))
            elif company := companies.get(record.origin.CustomerCode.strip().upper()):
                to = (Association("companies", company),)
                targets.append(Target(record.key, None, NEW, associations=to))
        return targets

    async def apply(self, plans: Sequence[RecordPlan]) -> ApplyOutcome:
        """Updates by id and creates (with their company) in batches; one call per 100."""
        invoice_object = await self.ready()
        updates = [WriteInput(p.key, p.remote_id, p.values) for p in plans if not p.is_create]
        creates = []
        for plan in plans:
            if not plan.is_create:
                continue
            company = plan.target.associations[0].to_id
            links = (invoice_object.to_company(company),)
            creates.append(WriteInput(plan.key, plan.key, plan.values, links))
        updated, created = await gather(
            self._update(invoice_object, updates), self._create(invoice_object, creates)
        )
        outcome = ApplyOutcome(calls=updated.calls + created.calls)
        for batch in (updated, created):
            outcome.written.update({key: record.id for key, record in batch.written.items()})
            outcome.call_of.update(batch.call_of)
            outcome.failed.extend(
                Failure(f.key, f.category, f.message, f.property_name, f.status)
                for f in batch.failed
            )
        return outcome

    async def _update(self, target: DocumentObject, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_update(target.type_id, inputs)

    async def _create(self, target: DocumentObject, inputs: Sequence[WriteInput]) -> BatchOutcome:
        if not inputs:
            return BatchOutcome()
        return await self._hubspot.batch_create_unique(target.type_id, INVOICE_ID_PROPERTY, inputs)
