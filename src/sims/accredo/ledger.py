"""AR ledger rules of the simulator (reference 10.1 and 10.5), as pure functions.

Periods are calendar months; the AR current period is the month of the simulator clock.
Aging buckets are *period* balances (not due dates). Signs: amounts are entered positive; the
balance effect is +amount for invoices and journals, -amount for credits and receipts.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

GST_RATE = 0.15  # New Zealand GST
DEBIT_TYPES = ("I", "J")
#: [assumed] period IDs number calendar months from January 2000 (January 2000 = 1).
PERIOD_EPOCH_YEAR = 2000
#: [assumed] financial year starts in April (the usual New Zealand year ending 31 March).
FINANCIAL_YEAR_START_MONTH = 4


def period_id(d: date) -> int:
    return (d.year - PERIOD_EPOCH_YEAR) * 12 + d.month


def iso_period_id(iso_date: str) -> int:
    """``period_id`` of a ``YYYY-MM-DD`` string without parsing a date object."""
    return (int(iso_date[:4]) - PERIOD_EPOCH_YEAR) * 12 + int(iso_date[5:7])


def period_start(pid: int) -> date:
    year, month0 = divmod(pid - 1, 12)
    return date(PERIOD_EPOCH_YEAR + year, month0 + 1, 1)


def financial_year_start(d: date) -> date:
    year = d.year if d.month >= FINANCIAL_YEAR_START_MONTH else d.year - 1
    return date(year, FINANCIAL_YEAR_START_MONTH, 1)


def add_months(d: date, months: int, day: int | None = None) -> date:
    y, m0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m0 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day or d.day, last))


def due_date(txn_date: date, unit: str, count: int, day_of_month: int) -> date:
    """Due date from the customer's terms (reference 10.1 "Terms").

    ``M`` n months on day d (``M``/1/20 = the 20th of the month following), ``W`` n weeks,
    ``D`` n days, ``P`` the start of the next period.
    """
    if unit == "M":
        return add_months(txn_date, max(count, 0), day_of_month or txn_date.day)
    if unit == "W":
        return txn_date + timedelta(weeks=count)
    if unit == "D":
        return txn_date + timedelta(days=count)
    return period_start(period_id(txn_date) + max(count, 1))


def signed(txn: Mapping[str, Any], field: str = "UnallocatedAmount") -> float:
    amount = float(txn.get(field) or 0)
    return amount if txn.get("TransactionType") in DEBIT_TYPES else -amount


def is_debit(txn: Mapping[str, Any]) -> bool:
    return signed(txn, "TransactionAmount") > 0


def money(x: float) -> float:
    return round(x + 0.0, 2)


def customer_figures(
    txns: Iterable[Mapping[str, Any]], today: date, fx_rate: float = 1.0
) -> dict[str, Any]:
    """The customer's cached balances and statistics, computed from its transactions.

    ``fx_rate``: units of the customer's currency per one unit of base currency, for the
    ``...Bs`` twins (reference 3.3).
    """
    cur = period_id(today)
    fy_start = financial_year_start(today)
    last_fy_start = date(fy_start.year - 1, fy_start.month, 1)
    buckets = {"BalanceCurrent": 0.0, "Balance1": 0.0, "Balance2": 0.0, "Balance3": 0.0}
    future = period_open = year_open = 0.0
    sales_ptd = sales_ytd = sales_ly = 0.0
    last_sale: str | None = None
    last_receipt: tuple[str, int] | None = None
    last_receipt_amount = 0.0
    paid = total_days = 0
    fy_iso, last_fy_iso = fy_start.isoformat(), last_fy_start.isoformat()
    for t in txns:
        tdate: str = t["TransactionDate"]  # ISO dates compare correctly as strings
        pid = t.get("PeriodID") or iso_period_id(tdate)
        amount = signed(t)
        age = cur - pid
        if age < 0:
            future += amount
        elif age == 0:
            buckets["BalanceCurrent"] += amount
        else:
            buckets[f"Balance{min(age, 3)}"] += amount
        gross = signed(t, "TransactionAmount")
        if pid < cur:
            period_open += gross
        if tdate < fy_iso:
            year_open += gross
        ttype = t["TransactionType"]
        if ttype in ("I", "C"):
            net = float(t.get("NetAmount") or 0) * (1 if ttype == "I" else -1)
            if pid == cur:
                sales_ptd += net
            if fy_iso <= tdate and pid <= cur:
                sales_ytd += net
            elif last_fy_iso <= tdate < fy_iso:
                sales_ly += net
        if ttype == "I":
            if last_sale is None or tdate > last_sale:
                last_sale = tdate
            if t.get("DateFullyPaid"):
                paid += 1
                total_days += (
                    date.fromisoformat(t["DateFullyPaid"]) - date.fromisoformat(tdate)
                ).days
        elif ttype == "R" and (last_receipt is None or (tdate, t["TransactionID"]) > last_receipt):
            last_receipt = (tdate, t["TransactionID"])
            last_receipt_amount = float(t.get("TransactionAmount") or 0)
    out: dict[str, Any] = {k: money(v) for k, v in buckets.items()}
    out["BalanceFuture"] = money(future)
    total = sum(buckets.values()) + future
    out["BalanceTotal"] = money(total)
    out["BalanceTotalExclFuture"] = money(total - future)
    out["PeriodOpeningBalance"] = money(period_open)
    out["YearOpeningBalance"] = money(year_open)
    out["SalesPeriodToDate"] = money(sales_ptd)
    out["SalesYearToDate"] = money(sales_ytd)
    out["SalesLastYear"] = money(sales_ly)
    out["DateOfLastSale"] = last_sale
    out["DateOfLastReceipt"] = last_receipt[0] if last_receipt else None
    out["AmountOfLastReceipt"] = money(last_receipt_amount)
    out["NumberOfInvoicesPaid"] = paid
    out["TotalDaysToPay"] = total_days
    out["AverageDaysToPay"] = round(total_days / paid, 1) if paid else 0
    for suffix_field in (
        "BalanceCurrent",
        "Balance1",
        "Balance2",
        "Balance3",
        "BalanceFuture",
        "BalanceTotal",
        "BalanceTotalExclFuture",
        "PeriodOpeningBalance",
        "YearOpeningBalance",
        "SalesPeriodToDate",
        "SalesYearToDate",
        "SalesLastYear",
    ):
        value = out[suffix_field]
        out[suffix_field + "Bs"] = value if fx_rate == 1.0 else money(value / fx_rate)
    return out


def allocation_plan(
    debits: Sequence[Mapping[str, Any]], credits: Sequence[Mapping[str, Any]], mode: str
) -> list[tuple[int, int, float]]:
    """Match open credits to open debits; returns (debit id, credit id, amount) triples.

    ``A``: oldest first (by date, then id) on both sides. ``W`` [assumed simplification]: as
    ``A`` but only whole debits are paid. ``N``: nothing is allocated automatically.
    """
    if mode == "N":
        return []
    order = sorted(debits, key=lambda t: (t["TransactionDate"], t["TransactionID"]))
    d_left = {t["TransactionID"]: float(t["UnallocatedAmount"]) for t in order}
    plan: list[tuple[int, int, float]] = []
    for c in sorted(credits, key=lambda t: (t["TransactionDate"], t["TransactionID"])):
        c_left = float(c["UnallocatedAmount"])
        for d in order:
            did = d["TransactionID"]
            if c_left <= 0.004:
                break
            if d_left[did] <= 0.004:
                continue
            amount = min(c_left, d_left[did])
            if mode == "W" and amount < d_left[did] - 0.004:
                continue
            amount = money(amount)
            plan.append((did, c["TransactionID"], amount))
            d_left[did] = money(d_left[did] - amount)
            c_left = money(c_left - amount)
    return plan
