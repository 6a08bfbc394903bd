"""The document syncs a portal takes: invoices (with the ``accredo_invoice`` object), orders
(their objects with ``accredo_order``, and the company's order rollups either way) and the
company's price tier."""

from __future__ import annotations

from typing import Any, Protocol

from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.documents import DocumentPass
from accredo_hubspot.sync.invoice_sync import InvoiceSync
from accredo_hubspot.sync.invoices import InvoiceSource
from accredo_hubspot.sync.orders import OrderSource, OrderSync
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.sync.price_tiers import PriceTierSink, PriceTierSource, PriceTierSync


class DocumentSource(InvoiceSource, OrderSource, PriceTierSource, Protocol):
    """The Accredo reads of invoices, orders and price tiers (``AccredoClient`` has them)."""


async def document_syncs(
    accredo: DocumentSource,
    hubspot: PriceTierSink,
    store: AsyncStateStore,
    config: MappingConfig,
    clock: Clock,
) -> list[DocumentPass[Any]]:
    """The portal's document syncs, invoices first: invoices when the configuration wants
    custom objects and the portal has ``accredo_invoice``; orders with their objects when it
    has ``accredo_order``, their rollups alone (and the last orders as text) by
    ``[documents] custom_objects = false``; the price tier. HubSpot is read; Accredo is not
    yet."""
    found: list[DocumentPass[Any]] = [
        OrderSync(accredo, hubspot, store, config, clock),
        PriceTierSync(accredo, hubspot, store, config, clock),
    ]
    if config.documents.custom_objects:
        found.insert(0, InvoiceSync(accredo, hubspot, store, config, clock))
    return [sync for sync in found if await sync.available()]
