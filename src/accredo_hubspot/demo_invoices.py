"""The demo's invoice act: an invoice posted in Accredo appears on the HubSpot company as an
``accredo_invoice``, and turns ``paid`` when the customer's receipt is posted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date

import httpx
from rich.console import Console

from accredo_hubspot.demo_hooks import HintWatch
from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.hubspot.errors import HubSpotNotFound
from accredo_hubspot.mapping.objects import INVOICE_ID_PROPERTY
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.invoice_sync import InvoiceSync

#: How long the demo waits for a change to show in HubSpot.
VISIBLE_TIMEOUT_S = 30.0
AMOUNT = 2340.00


class InvoiceDemoError(ConnectorError):
    """The invoice did not reach HubSpot in time."""


async def play_invoice(
    console: Console,
    conn: Connector,
    invoices: InvoiceSync,
    accredo_url: str,
    http: httpx.AsyncClient,
    code: str,
    hints: HintWatch,
) -> None:
    """Post an invoice for ``code``, wait for it in HubSpot; post the receipt that pays what
    the customer owes, wait for it to turn paid; ``hints`` says when Accredo was polled for
    each. Live sync must be running."""
    invoice_object = await invoices.spec.ready()
    mark = await hints.mark()
    started = time.monotonic()
    answer = await http.post(
        f"{accredo_url}/_sim/post/invoices",
        json={"items": [{"CustomerCode": code, "Amount": AMOUNT, "Reference": "DEMO-INV-1"}]},
    )
    answer.raise_for_status()
    tid = str(answer.json()["transactions"][0]["TransactionID"])

    async def status() -> str | None:
        try:
            record = await conn.hubspot.get(
                invoice_object.type_id,
                tid,
                properties=["status", "amount_outstanding"],
                id_property=INVOICE_ID_PROPERTY,
            )
        except HubSpotNotFound:
            return None
        return record.properties.get("status")

    seen_s = await _until(lambda s: s == "open", status, started)
    path = await hints.path(mark)
    console.print(
        f"  invoice DEMO-INV-1 of ${AMOUNT:,.2f} posted for {code}: on its HubSpot company as "
        f"accredo_invoice {tid} (open) after {seen_s:.2f} s ({path})"
    )
    owing = conn.accredo.iter_invoices_of([code], paid_since=date.max)
    owed = sum([float(i.UnallocatedAmount or 0) async for i in owing])
    mark = await hints.mark()
    started = time.monotonic()
    answer = await http.post(
        f"{accredo_url}/_sim/post/receipts",
        json={"items": [{"CustomerCode": code, "Amount": owed}]},
    )
    answer.raise_for_status()
    paid_s = await _until(lambda s: s == "paid", status, started)
    path = await hints.path(mark)
    console.print(
        f"  receipt of ${owed:,.2f} banked for {code}: the invoice turned paid in HubSpot "
        f"after {paid_s:.2f} s ({path})"
    )


async def _until(
    done: Callable[[str | None], bool],
    read: Callable[[], Awaitable[str | None]],
    started: float,
) -> float:
    deadline = started + VISIBLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if done(await read()):
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise InvoiceDemoError("the invoice did not reach HubSpot in time")
