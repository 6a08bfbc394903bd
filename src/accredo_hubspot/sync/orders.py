"""Orders: a customer's last Order Entry orders as ``accredo_order`` records on its company.

The record type ``order`` (``OrderSpec``, key: the order's DocumentID, written as the unique
``accredo_document_id``): the last ``[documents] orders_per_customer`` orders of each customer
within ``order_window_months``, created with their company association in the batch call
(``sync.documents.DocumentSpec``). Only on a portal with the ``accredo_order`` object. The
company's rollups of its orders over the window (and, without custom objects, its last orders
as text) are company values, written with the company (``sync.companies``).

``OrderSync`` is the whole pass (backfill, and the recompute when Accredo's business date moves
the window): orders stream in customer order, a customer's orders staying in one chunk; the
linked orders no longer among a customer's last N in the window are archived. Live, an order
entered in Accredo (an ``OEHEAD``/``OELINE`` change row) queues its customer's orders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import structlog

from accredo_hubspot.accredo.models import OEOrder
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.objects import ORDER_ID_PROPERTY, ORDER_OBJECT
from accredo_hubspot.mapping.orders import (
    ORDER_RULES,
    latest_orders,
    order_values,
    window_start,
)
from accredo_hubspot.shared import ChangeBatch
from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.sync.business_date import BusinessDate
from accredo_hubspot.sync.documents import (
    CustomObjects,
    DocumentPass,
    DocumentReport,
    DocumentSink,
    DocumentSpec,
    customer_key,
    split_keys,
    write_records,
)
from accredo_hubspot.sync.matcher import normalise_code
from accredo_hubspot.sync.pipeline import Clock
from accredo_hubspot.sync.records import SourceRecord

log = structlog.get_logger(__name__)

#: The state store's record type of an order (key: DocumentID).
ORDER_RECORD = "order"
#: Orders per chunk of the whole pass, about (a customer's orders are never split).
CHUNK_ORDERS = 2000


@dataclass(frozen=True)
class CustomerOrders:
    """A customer's orders in the window (every one: the rollups count them all)."""

    code: str
    orders: Sequence[OEOrder]


class OrderSource(Protocol):
    """The Accredo reads orders need (``AccredoClient`` has them)."""

    async def system_date(self) -> date: ...

    def iter_orders(self, *, since: date, page_size: int = 2000) -> AsyncIterator[OEOrder]: ...

    async def orders_of(self, codes: Sequence[str], *, since: date) -> list[OEOrder]: ...

    async def order_customers(self, ids: Sequence[str]) -> list[str]: ...


def by_customer(codes: Sequence[str], orders: Sequence[OEOrder]) -> list[CustomerOrders]:
    """``orders`` grouped under each of ``codes`` (a code without orders gets none)."""
    grouped: dict[str, list[OEOrder]] = {normalise_code(code): [] for code in codes}
    for order in orders:
        grouped.setdefault(normalise_code(order.CustomerCode), []).append(order)
    return [CustomerOrders(code, found) for code, found in grouped.items()]


class OrderWindow:
    """The window and count of orders kept, from ``[documents]`` and the business date."""

    def __init__(self, accredo: OrderSource, config: MappingConfig, business_date: BusinessDate):
        self.accredo = accredo
        self.business_date = business_date
        self.count = config.documents.orders_per_customer
        self.months = config.documents.order_window_months

    def since(self) -> date:
        return window_start(self.business_date.today(), self.months)

    async def read(self, keys: Sequence[str]) -> list[CustomerOrders]:
        """The orders of the customers ``keys`` name (``customer_key``s, or order ids whose
        customers are looked up: a replayed dead letter names one order)."""
        await self.business_date.refresh()
        codes, ids = split_keys(keys)
        if ids:
            codes += await self.accredo.order_customers(ids)
        codes = list(dict.fromkeys(normalise_code(c) for c in codes))
        if not codes:
            return []
        return by_customer(codes, await self.accredo.orders_of(codes, since=self.since()))


class OrderSpec(DocumentSpec[OEOrder]):
    """A customer's last orders to ``accredo_order`` records (``RecordSpec[OEOrder]``)."""

    def __init__(
        self,
        window: OrderWindow,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        config: MappingConfig,
        objects: CustomObjects,
    ) -> None:
        super().__init__(
            ORDER_RECORD,
            ORDER_OBJECT,
            ORDER_ID_PROPERTY,
            ORDER_RULES,
            config,
            hubspot,
            store,
            window.business_date,
            objects,
        )
        self._window = window

    def records(self, customers: Sequence[CustomerOrders]) -> list[SourceRecord[OEOrder]]:
        return [
            SourceRecord(str(order.DocumentID), order_values(order), order)
            for customer in customers
            for order in latest_orders(customer.orders, self._window.count)
        ]

    async def fetch(self, keys: Sequence[str]) -> list[SourceRecord[OEOrder]]:
        return self.records(await self._window.read(keys))


class OrderSync(DocumentPass[list[CustomerOrders]]):
    """The whole pass over orders (``run``), its once-per-business-day trigger
    (``recompute_if_new_day``), and what a live change queues (``queued``)."""

    name = "orders"
    #: When the orders were last brought across, by Accredo business date (the store's meta).
    meta_key = "orders_recomputed_for"

    def __init__(
        self,
        accredo: OrderSource,
        hubspot: DocumentSink,
        store: AsyncStateStore,
        config: MappingConfig,
        clock: Clock,
        *,
        objects: CustomObjects | None = None,
        chunk_orders: int = CHUNK_ORDERS,
    ) -> None:
        self.window = OrderWindow(accredo, config, clock.accredo_date(accredo.system_date))
        self.spec = OrderSpec(
            self.window, hubspot, store, config, objects or CustomObjects(hubspot)
        )
        super().__init__(store, self.spec, clock)
        self._chunk_orders = chunk_orders

    def queued(self, batch: ChangeBatch) -> dict[str, list[str]]:
        """The customers whose orders changed (``OEDELTA`` rows)."""
        return {ORDER_RECORD: [customer_key(code) for code in batch.order_customer_codes]}

    async def chunks(self) -> AsyncIterator[list[CustomerOrders]]:
        chunk: list[CustomerOrders] = []
        held = 0
        code, orders = "", list[OEOrder]()
        async for order in self.window.accredo.iter_orders(since=self.window.since()):
            this = normalise_code(order.CustomerCode)
            if this != code:
                if orders:
                    chunk.append(CustomerOrders(code, orders))
                    if held >= self._chunk_orders:
                        yield chunk
                        chunk, held = [], 0
                code, orders = this, []
            orders.append(order)
            held += 1
        if orders:
            chunk.append(CustomerOrders(code, orders))
        if chunk:
            yield chunk

    async def after_written(self, keys: Sequence[str]) -> int:
        """Archive the linked orders that the live batch pushed out of their customer's last
        N (an order entered makes the oldest of the last N one too many): at once, not at the
        next daily pass. The HubSpot calls made."""
        customers = await self.window.read(keys)
        kept = {r.key for r in self.spec.records(customers)}
        met = {str(order.DocumentID) for c in customers for order in c.orders}
        pushed_out = sorted(met - kept)
        if not pushed_out:
            return 0
        calls, archived = await self.spec.archive(pushed_out)
        if archived:
            log.info("orders archived", reason="no longer among the last", archived=archived)
        return calls

    async def write_chunk(
        self,
        chunk: list[CustomerOrders],
        report: DocumentReport,
        reason: str,
        send_turn: asyncio.Lock,
    ) -> set[str]:
        """The chunk's last orders of each customer (every order in it counted as read)."""
        report.documents += sum(len(c.orders) for c in chunk)
        records = self.spec.records(chunk)
        await write_records(self.pipeline, records, report, reason, send_turn)
        return {r.key for r in records}
