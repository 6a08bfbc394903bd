"""Every invoice at once: the invoice backfill, and the daily recompute that is the same pass
(``sync.documents.DocumentPass``).

Invoices stream from Accredo in TransactionID order, a page at a time. Run again on a later
business date, the pass writes only what the calendar changed (status and days overdue of
invoices that fell due), in batches of 100. Linked invoices the pass no longer meets (paid
more than ``paid_archive_after_days`` ago, or gone from Accredo) are archived in HubSpot and
forgotten.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from accredo_hubspot.accredo.models import ARTransaction
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.shared import ChangeBatch
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.documents import (
    CustomObjects,
    DocumentPass,
    DocumentSink,
    customer_key,
)
from accredo_hubspot.sync.invoices import INVOICE_RECORD, InvoiceSource, InvoiceSpec
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.sync.records import SourceRecord
from accredo_hubspot.sync.streaming import chunked

#: Invoices per chunk (one Accredo page).
CHUNK_SIZE = 2000


class InvoiceSync(DocumentPass[list[ARTransaction]]):
    """The whole-ledger pass over invoices (``run``), the once-per-business-day trigger of it
    (``recompute_if_new_day``), and the live queue of a changed customer's invoices."""

    name = "invoices"
    #: When the invoices were last recomputed, by Accredo business date (the store's meta).
    meta_key = "invoices_recomputed_for"

    def __init__(
        self,
        accredo: InvoiceSource,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        *,
        objects: CustomObjects | None = None,
        spec: InvoiceSpec | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.spec = spec or InvoiceSpec(
            accredo,
            hubspot,
            store,
            config,
            clock.accredo_date(accredo.system_date),
            objects or CustomObjects(hubspot),
        )
        super().__init__(store, self.spec, clock)
        self._accredo = accredo
        self._chunk_size = chunk_size

    def queued(self, batch: ChangeBatch) -> dict[str, list[str]]:
        """Every changed customer's invoices (a receipt pays invoices it does not log)."""
        return {INVOICE_RECORD: [customer_key(code) for code in batch.customer_codes]}

    def chunks(self) -> AsyncIterator[list[ARTransaction]]:
        reading = self._accredo.iter_invoices(
            paid_since=self.spec.paid_since(), page_size=self._chunk_size
        )
        return chunked(reading, self._chunk_size)

    def records(self, chunk: list[ARTransaction]) -> list[SourceRecord[ARTransaction]]:
        return self.spec.records(chunk)
