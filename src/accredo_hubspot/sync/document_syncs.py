"""The document syncs a portal takes: invoices and orders as custom objects (``accredo_invoice``,
``accredo_order``). Without them (``[documents] custom_objects = false``, or a portal that
refused them) there is none: the invoice and order summaries, like the order rollups and the
price tier everywhere, are company values (``sync.companies``)."""

from __future__ import annotations

from typing import Any, Protocol

from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.documents import CustomObjects, DocumentPass, DocumentSink
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.invoices import InvoiceSource
from accredo_hubspot.sync.orders import OrderSource, OrderSync
from accredo_hubspot.sync.pipeline import Clock


class DocumentSource(InvoiceSource, OrderSource, Protocol):
    """The Accredo reads of invoices and orders (``AccredoClient`` has them)."""


async def document_syncs(
    accredo: DocumentSource,
    hubspot: DocumentSink,
    store: AsyncStateStore,
    config: MappingConfig,
    clock: Clock,
    objects: CustomObjects,
) -> list[DocumentPass[Any]]:
    """The portal's document syncs, invoices first, when the configuration wants custom
    objects and the portal has each object (``objects``: as ``documents_config`` read them).
    HubSpot is read; Accredo is not yet."""
    if not config.documents.custom_objects:
        return []
    found: list[DocumentPass[Any]] = [
        InvoiceSync(accredo, hubspot, store, config, clock, objects=objects),
        OrderSync(accredo, hubspot, store, config, clock, objects=objects),
    ]
    return [sync for sync in found if await sync.available()]
