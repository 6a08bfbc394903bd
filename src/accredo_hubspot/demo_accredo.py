"""The demo's accounts-team act: four changes in Accredo (an invoice, a receipt, a credit
limit raised, a customer put on stop), each timed until its HubSpot company shows it."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from rich import box
from rich.console import Console
from rich.table import Table

from accredo_hubspot.accredo.models import ARCustomer
from accredo_hubspot.demo_hooks import HintWatch
from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.transforms import money
from accredo_hubspot.runtime import Connector
from accredo_hubspot.sync.companies import COMPANY_RECORD

#: How long the demo waits for a change to show in HubSpot.
VISIBLE_TIMEOUT_S = 15.0


class DemoActError(ConnectorError):
    """A simulator refused the demo's action, or a change never reached HubSpot."""


def check(answer: httpx.Response) -> None:
    """A simulator's answer to the demo's action, refused unless it is a success."""
    if answer.status_code >= 400:
        raise DemoActError(
            f"simulator refused {answer.request.method} {answer.request.url.path}: "
            f"{answer.status_code} {answer.text[:200]}"
        )


@dataclass
class Scenario:
    """One thing the accounts team does, and what it should look like in HubSpot."""

    describe: str
    code: str
    act: Callable[[], Awaitable[None]]
    prop: str
    expected: Callable[[ARCustomer], str]


async def play_accredo_changes(
    console: Console, conn: Connector, accredo_url: str, http: httpx.AsyncClient, hints: HintWatch
) -> None:
    """Four changes on four linked debtors, one after the other, each timed until its
    company shows it; ``hints`` says when Accredo was polled for each. Live sync must be
    running."""
    links = await conn.store.get_links(COMPANY_RECORD)
    rng = random.Random(5)
    codes = rng.sample(sorted(links), 4)
    base = accredo_url

    async def post(kind: str, code: str, amount: float) -> None:
        answer = await http.post(
            f"{base}/_sim/post/{kind}", json={"items": [{"CustomerCode": code, "Amount": amount}]}
        )
        check(answer)

    async def edit(code: str, changes: dict[str, Any]) -> None:
        answer = await http.patch(f"{base}/_sim/customers/{code}", json=changes)
        check(answer)

    before = {c.CustomerCode: c for c in await conn.accredo.get_customers(codes)}
    raised = (before[codes[2]].CreditLimit or Decimal(0)) + Decimal(5000)
    scenarios = [
        Scenario(
            "invoice posted for $1,850.00",
            codes[0],
            lambda: post("invoices", codes[0], 1850.00),
            "accredo_balance_total",
            lambda c: money(c.BalanceTotal, "accredo_balance_total"),
        ),
        Scenario(
            "receipt of $400.00 banked",
            codes[1],
            lambda: post("receipts", codes[1], 400.00),
            "accredo_last_payment_amount",
            lambda c: money(c.AmountOfLastReceipt, "accredo_last_payment_amount"),
        ),
        Scenario(
            f"credit limit raised to ${raised:,.2f}",
            codes[2],
            lambda: edit(codes[2], {"CreditLimit": float(raised)}),
            "accredo_credit_limit",
            lambda c: money(c.CreditLimit, "accredo_credit_limit"),
        ),
        Scenario(
            "customer put on stop credit",
            codes[3],
            lambda: edit(codes[3], {"StopCredit": True}),
            "accredo_credit_status",
            lambda c: "on_stop",
        ),
    ]
    table = results_table()
    for scenario in scenarios:
        mark = await hints.mark()
        started = time.monotonic()
        await scenario.act()
        customer = (await conn.accredo.get_customers([scenario.code]))[0]
        expected = scenario.expected(customer)
        company_id = links[scenario.code]
        latency_s = await _until_visible(conn, company_id, scenario.prop, expected, started)
        path = await hints.path(mark)
        table.add_row(
            f"{scenario.describe}, {customer.CustomerName} ({scenario.code})",
            scenario.prop,
            expected,
            f"{latency_s:.2f} s",
        )
        console.print(f"  {scenario.describe}: visible in HubSpot after {latency_s:.2f} s ({path})")
    console.print(table)


def results_table() -> Table:
    """The changes and their latencies, fitting an 80-column terminal (the change's text
    wraps; how each was polled is on its line above the table)."""
    table = Table(title="Accredo change -> HubSpot company", box=box.SIMPLE_HEAD)
    table.add_column("change in Accredo", ratio=1)
    table.add_column("HubSpot property", no_wrap=True)
    table.add_column("value", no_wrap=True)
    table.add_column("after", no_wrap=True, justify="right")
    return table


async def _until_visible(
    conn: Connector, company_id: str, prop: str, expected: str, started: float
) -> float:
    deadline = started + VISIBLE_TIMEOUT_S
    while time.monotonic() < deadline:
        company = await conn.hubspot.get("companies", company_id, properties=[prop])
        if company.properties.get(prop) == expected:
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise DemoActError(f"{prop} on company {company_id} did not become {expected!r} in time")
