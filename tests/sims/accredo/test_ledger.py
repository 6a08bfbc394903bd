"""Pure AR rules: due dates, period buckets, allocation order (reference 10.1, 10.5)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sims.accredo import ledger


def test_due_dates_follow_terms() -> None:
    d = date(2025, 6, 3)
    assert ledger.due_date(d, "M", 1, 20) == date(2025, 7, 20)  # 20th of the month following
    assert ledger.due_date(date(2025, 12, 31), "M", 1, 20) == date(2026, 1, 20)
    assert ledger.due_date(d, "D", 7, 0) == date(2025, 6, 10)
    assert ledger.due_date(d, "D", 30, 0) == date(2025, 7, 3)
    assert ledger.due_date(d, "W", 2, 0) == date(2025, 6, 17)
    assert ledger.due_date(d, "P", 1, 0) == date(2025, 7, 1)
    assert ledger.due_date(date(2025, 1, 31), "M", 1, 31) == date(2025, 2, 28)


def txn(
    tid: int, kind: str, day: str, amount: float, unalloc: float | None = None
) -> dict[str, Any]:
    return {
        "TransactionID": tid,
        "TransactionType": kind,
        "TransactionDate": day,
        "TransactionAmount": amount,
        "NetAmount": round(amount / 1.15, 2) if kind in "IC" else amount,
        "UnallocatedAmount": amount if unalloc is None else unalloc,
    }


def test_buckets_are_calendar_month_periods_not_due_dates() -> None:
    today = date(2025, 6, 15)
    rows = [
        txn(1, "I", "2025-06-01", 100),  # current
        txn(2, "I", "2025-05-31", 200),  # 1 period old, even though it may not be due yet
        txn(3, "I", "2025-04-10", 300),
        txn(4, "I", "2025-03-10", 400),
        txn(5, "I", "2024-11-10", 500),  # 3 or more
        txn(6, "I", "2025-07-02", 60),  # future period
        txn(7, "C", "2025-06-02", 11.5),
        txn(8, "I", "2025-02-01", 999, unalloc=0),  # paid: no balance
    ]
    f = ledger.customer_figures(rows, today)
    assert f["BalanceCurrent"] == 88.5
    assert f["Balance1"] == 200
    assert f["Balance2"] == 300
    assert f["Balance3"] == 900
    assert f["BalanceFuture"] == 60
    assert f["BalanceTotal"] == 1548.5
    assert f["BalanceTotalExclFuture"] == 1488.5
    assert f["DateOfLastSale"] == "2025-07-02"
    # a month later everything moves one bucket on
    g = ledger.customer_figures(rows, date(2025, 7, 1))
    assert g["BalanceCurrent"] == 60 and g["Balance1"] == 88.5 and g["Balance2"] == 200
    assert g["Balance3"] == 1200 and g["BalanceFuture"] == 0


def test_days_to_pay_statistics() -> None:
    rows = [
        {**txn(1, "I", "2025-05-01", 100, 0), "DateFullyPaid": "2025-05-21"},
        {**txn(2, "I", "2025-05-10", 100, 0), "DateFullyPaid": "2025-06-19"},
        txn(3, "R", "2025-06-19", 100, 0),
    ]
    f = ledger.customer_figures(rows, date(2025, 6, 30))
    assert f["NumberOfInvoicesPaid"] == 2
    assert f["TotalDaysToPay"] == 20 + 40
    assert f["AverageDaysToPay"] == 30
    assert f["DateOfLastReceipt"] == "2025-06-19" and f["AmountOfLastReceipt"] == 100


def test_allocation_oldest_first_and_modes() -> None:
    debits = [txn(2, "I", "2025-05-02", 50), txn(1, "I", "2025-05-01", 100)]
    credits = [txn(9, "R", "2025-06-01", 120)]
    assert ledger.allocation_plan(debits, credits, "A") == [(1, 9, 100), (2, 9, 20)]
    assert ledger.allocation_plan(debits, credits, "N") == []
    assert ledger.allocation_plan(debits, credits, "W") == [(1, 9, 100)]
