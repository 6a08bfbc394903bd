"""The invoice record type: an Accredo AR invoice written to an ``accredo_invoice`` record,
associated to its customer's company (``sync.documents.DocumentSpec``: created with the
association in the batch call, idempotent across a crash, none before its company).

Keyed by ``TransactionID`` (written as the unique ``accredo_transaction_id``). Values are
planned against the shadow like every record type, so an unchanged invoice sends nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from typing import Protocol

from accredo_hubspot.accredo.models import ARTransaction
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.invoices import INVOICE_RULES, invoice_values
from accredo_hubspot.mapping.objects import INVOICE_ID_PROPERTY, INVOICE_OBJECT
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.business_date import BusinessDate
from accredo_hubspot.sync.documents import CustomObjects, DocumentSink, DocumentSpec, split_keys
from accredo_hubspot.sync.records import SourceRecord

#: The state store's record type of an invoice (key: its TransactionID).
INVOICE_RECORD = "invoice"


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


class InvoiceSpec(DocumentSpec[ARTransaction]):
    """AR invoices to ``accredo_invoice`` records (``RecordSpec[ARTransaction]``).

    ``fetch`` takes invoice keys (TransactionIDs) or ``customer_key``s, which read every
    invoice of that customer still owing or paid within ``paid_archive_after_days``. "Today"
    is Accredo's business date, read again at most a minute after the last read.
    """

    def __init__(
        self,
        accredo: InvoiceSource,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        config: MappingConfig,
        business_date: BusinessDate,
        objects: CustomObjects,
    ) -> None:
        super().__init__(
            INVOICE_RECORD,
            INVOICE_OBJECT,
            INVOICE_ID_PROPERTY,
            INVOICE_RULES,
            config,
            hubspot,
            store,
            business_date,
            objects,
        )
        self._accredo = accredo

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
        codes, ids = split_keys(keys)
        invoices = await self._accredo.get_transactions(ids) if ids else []
        if codes:
            reading = self._accredo.iter_invoices_of(codes, paid_since=self.paid_since())
            invoices += [invoice async for invoice in reading]
        return self.records(invoices)
