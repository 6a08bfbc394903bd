"""The demo's provisioning act: a sales user wins a deal in HubSpot on a company from the web
form, and the company becomes an Accredo debtor, its new code written back to HubSpot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from rich.console import Console

from accredo_hubspot.demo_hooks import inbound_path
from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.properties import CUSTOMER_CODE_PROPERTY
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.deals_won import DEAL_RECORD

#: How long the demo waits for the debtor and the write-back.
VISIBLE_TIMEOUT_S = 30.0
COMPANY = "Kōwhai Landscapes Limited"
T = TypeVar("T")


class ProvisionDemoError(ConnectorError):
    """The won deal did not become a debtor in time."""


async def play_provision(
    console: Console, conn: Connector, hubspot_url: str, http: httpx.AsyncClient
) -> None:
    """Create a form-intake company with a contact and an open deal in HubSpot (as its users
    do), close the deal as won, and time the debtor in Accredo and its code on the company.
    Live sync must be running; what carried the win is read from the audit log."""

    async def user(method: str, path: str, body: dict[str, Any]) -> str:
        answer = await http.request(method, f"{hubspot_url}/_sim/objects/{path}", json=body)
        answer.raise_for_status()
        record_id: str = answer.json()["id"]
        return record_id

    company = await user(
        "POST",
        "companies",
        {
            "properties": {"name": COMPANY, "city": "Whakatāne", "country": "New Zealand"},
            "analyticsSource": "ORGANIC_SEARCH",  # came in through the web form
        },
    )
    await user(
        "POST",
        "contacts",
        {
            "properties": {"firstname": "Aroha", "lastname": "Ngata", "email": "aroha@kowhai.nz"},
            "associations": _to(company, 1),
        },
    )
    deal = await user(
        "POST",
        "deals",
        {
            "properties": {"dealname": "Landscaping supplies", "dealstage": "contractsent"},
            "associations": _to(company, 5),
        },
    )
    started = time.monotonic()
    await user("PATCH", f"deals/{deal}", {"properties": {"dealstage": "closedwon"}})
    id_field = conn.config.provision.hubspot_id_field

    async def debtor() -> str | None:
        found = await conn.accredo.customers_where(id_field, [company])
        return f"{found[0].CustomerCode} ({found[0].CustomerType})" if found else None

    async def written_back() -> str | None:
        record = await conn.hubspot.get("companies", company, properties=[CUSTOMER_CODE_PROPERTY])
        return record.properties.get(CUSTOMER_CODE_PROPERTY)

    made, made_s = await _until(debtor, started)
    code, code_s = await _until(written_back, started)
    path = await inbound_path(conn.store, DEAL_RECORD, deal)
    console.print(
        f"  deal won in HubSpot on {COMPANY} (a web-form prospect): Accredo debtor {made} "
        f"after {made_s:.2f} s, its code {code} on the HubSpot company after {code_s:.2f} s "
        f"(carried by {path})"
    )


def _to(record_id: str, type_id: int) -> list[dict[str, Any]]:
    types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
    return [{"to": {"id": record_id}, "types": types}]


async def _until(read: Callable[[], Awaitable[T | None]], started: float) -> tuple[T, float]:
    deadline = started + VISIBLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if (value := await read()) is not None:
            return value, time.monotonic() - started
        await asyncio.sleep(0.05)
    raise ProvisionDemoError("the won deal did not become a debtor in time")
