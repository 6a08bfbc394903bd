"""Overdue amounts, days overdue, utilisation and the credit status precedence."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accredo_hubspot.accredo.models import ARCustomer, ARTransaction
from accredo_hubspot.mapping.credit_status import CreditStatus
from accredo_hubspot.mapping.financials import (
    compute_financials,
    credit_status,
    is_open_debit,
    utilisation_pct,
)
from tests.narrow import known

TODAY = date(2026, 6, 15)
D = Decimal


def customer(**fields: object) -> ARCustomer:
    return ARCustomer.model_validate({"CustomerCode": "KIWI01", **fields})


_ids = iter(range(1, 1_000_000))


def tran(
    kind: str,
    unallocated: str,
    due: date | None,
    hold: str = "0",
    amount: str | None = None,
    code: str = "KIWI01",
) -> ARTransaction:
    return ARTransaction(
        TransactionID=next(_ids),
        CustomerCode=code,
        TransactionType=kind,
        TransactionAmount=D(amount if amount is not None else unallocated),
        UnallocatedAmount=D(unallocated),
        HoldAmount=D(hold),
        DueDate=due,
    )


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_nothing_open_is_ok() -> None:
    result = compute_financials(customer(), [], TODAY)
    assert (result.overdue_total, result.days_overdue) == (D(0), 0)
    assert result.credit_status is CreditStatus.OK
    assert result.utilisation_pct is None


def test_overdue_is_unallocated_less_hold_of_past_due_debits() -> None:
    transactions = [
        tran("I", "1000.00", days_ago(10), hold="250.00"),  # 750 overdue
        tran("I", "400.00", days_ago(45)),  # 400 overdue, the oldest
        tran("I", "300.00", TODAY),  # due today: not overdue
        tran("I", "200.00", days_ago(-5)),  # not yet due
        tran("J", "50.00", days_ago(20)),  # positive journal: overdue
        tran("J", "-80.00", days_ago(20)),  # negative journal: a credit, ignored
        tran("C", "120.00", days_ago(60)),  # unallocated credit: not overdue, reduces nothing
        tran("R", "500.00", days_ago(70)),  # unallocated receipt: the same
        tran("I", "100.00", days_ago(90), hold="100.00"),  # fully on hold: not overdue
        tran("I", "0.00", days_ago(200)),  # paid
        tran("I", "999.00", days_ago(300), code="OTHER"),  # another customer's
    ]
    result = compute_financials(customer(), transactions, TODAY)
    assert result.overdue_total == D("1200.00")
    assert result.days_overdue == 45
    assert result.oldest_overdue_due_date == days_ago(45)
    assert result.credit_status is CreditStatus.OVERDUE_30


def test_held_invoice_does_not_count_for_days_overdue() -> None:
    transactions = [tran("I", "100", days_ago(120), hold="100"), tran("I", "10", days_ago(3))]
    result = compute_financials(customer(), transactions, TODAY)
    assert result.days_overdue == 3
    assert result.credit_status is CreditStatus.OK


def test_open_debit_rules() -> None:
    assert is_open_debit(tran("I", "1", None))
    assert not is_open_debit(tran("I", "0", None))
    assert is_open_debit(tran("j", "5", None))
    assert not is_open_debit(tran("J", "5", None, amount="-5"))
    assert not is_open_debit(tran("C", "5", None))


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, CreditStatus.OK),
        (30, CreditStatus.OK),
        (31, CreditStatus.OVERDUE_30),
        (60, CreditStatus.OVERDUE_30),
        (61, CreditStatus.OVERDUE_60),
        (90, CreditStatus.OVERDUE_60),
        (91, CreditStatus.OVERDUE_90_PLUS),
        (400, CreditStatus.OVERDUE_90_PLUS),
    ],
)
def test_overdue_thresholds(days: int, expected: CreditStatus) -> None:
    transactions = [tran("I", "10", days_ago(days))] if days else []
    assert compute_financials(customer(), transactions, TODAY).credit_status is expected


def test_utilisation() -> None:
    assert utilisation_pct(D("4500"), D("5000")) == D("90.0")
    assert utilisation_pct(D("1"), D("3")) == D("33.3")
    assert utilisation_pct(D("2"), D("3")) == D("66.7")
    assert utilisation_pct(D("100"), D("0")) is None
    assert utilisation_pct(D("100"), None) is None
    assert utilisation_pct(None, D("100")) == D("0.0")
    assert utilisation_pct(D("-50"), D("100")) == D("-50.0")


def test_limit_statuses() -> None:
    near = compute_financials(customer(BalanceTotal="4500", CreditLimit="5000"), [], TODAY)
    assert (near.credit_status, near.utilisation_pct) == (CreditStatus.NEAR_LIMIT, D("90.0"))
    shown_as_90 = compute_financials(customer(BalanceTotal="4499", CreditLimit="5000"), [], TODAY)
    assert shown_as_90.utilisation_pct == D("90.0")  # 89.98 as shown, to 0.1
    assert shown_as_90.credit_status is CreditStatus.NEAR_LIMIT
    below = compute_financials(customer(BalanceTotal="4497", CreditLimit="5000"), [], TODAY)
    assert below.credit_status is CreditStatus.OK
    custom = compute_financials(
        customer(BalanceTotal="4000", CreditLimit="5000"), [], TODAY, near_limit_pct=80
    )
    assert custom.credit_status is CreditStatus.NEAR_LIMIT
    at_limit = compute_financials(customer(BalanceTotal="5000", CreditLimit="5000"), [], TODAY)
    assert at_limit.credit_status is CreditStatus.NEAR_LIMIT
    over = compute_financials(customer(BalanceTotal="5000.01", CreditLimit="5000"), [], TODAY)
    assert over.credit_status is CreditStatus.OVER_LIMIT
    no_limit = compute_financials(customer(BalanceTotal="99999", CreditLimit="0"), [], TODAY)
    assert no_limit.credit_status is CreditStatus.OK


SEVERITY = [
    CreditStatus.OK,
    CreditStatus.NEAR_LIMIT,
    CreditStatus.OVER_LIMIT,
    CreditStatus.OVERDUE_30,
    CreditStatus.OVERDUE_60,
    CreditStatus.OVERDUE_90_PLUS,
    CreditStatus.ON_STOP,
]


@given(
    stop=st.booleans(),
    days=st.integers(min_value=0, max_value=500),
    balance=st.decimals(min_value=-10_000, max_value=100_000, places=2),
    limit=st.none() | st.decimals(min_value=0, max_value=50_000, places=2),
    near=st.integers(min_value=1, max_value=100),
)
def test_credit_status_precedence(
    stop: bool, days: int, balance: Decimal, limit: Decimal | None, near: int
) -> None:
    util = utilisation_pct(balance, limit)
    status = credit_status(
        stop_credit=stop,
        days_overdue=days,
        balance_total=balance,
        credit_limit=limit,
        utilisation=util,
        near_limit_pct=D(near),
    )
    over = limit is not None and limit > 0 and balance > limit
    near_hit = util is not None and util >= near
    if stop:
        assert status is CreditStatus.ON_STOP
    elif days > 30:
        expected = {True: CreditStatus.OVERDUE_90_PLUS}.get(days > 90) or (
            CreditStatus.OVERDUE_60 if days > 60 else CreditStatus.OVERDUE_30
        )
        assert status is expected
    elif over:
        assert status is CreditStatus.OVER_LIMIT
    elif near_hit:
        assert status is CreditStatus.NEAR_LIMIT
    else:
        assert status is CreditStatus.OK
    # monotone: making things worse never makes the status milder
    worse = credit_status(
        stop_credit=stop,
        days_overdue=days + 31,
        balance_total=balance,
        credit_limit=limit,
        utilisation=util,
        near_limit_pct=D(near),
    )
    assert SEVERITY.index(worse) >= SEVERITY.index(status)


invoice_amounts = st.decimals(min_value=D("0.01"), max_value=D("50000"), places=2)


@given(
    st.lists(
        st.tuples(
            st.sampled_from("ICRJ"),
            invoice_amounts,
            st.integers(min_value=-60, max_value=400),
            st.integers(min_value=0, max_value=100),
        ),
        max_size=25,
    )
)
def test_overdue_total_properties(rows: list[tuple[str, Decimal, int, int]]) -> None:
    transactions = [
        tran(
            kind,
            str(amount),
            days_ago(age),
            hold=str((amount * hold_pct / 100).quantize(D("0.01"))),
        )
        for kind, amount, age, hold_pct in rows
    ]
    result = compute_financials(customer(), transactions, TODAY)
    debits = [t for t in transactions if t.TransactionType in "IJ" and known(t.DueDate) < TODAY]
    assert D(0) <= result.overdue_total <= sum((known(t.UnallocatedAmount) for t in debits), D(0))
    expected = sum((known(t.UnallocatedAmount) - known(t.HoldAmount) for t in debits), D(0))
    assert result.overdue_total == expected
    assert result.days_overdue >= 0
    if result.overdue_total == 0:
        assert result.days_overdue == 0
    # credits and receipts never change the overdue figure
    no_credits = [t for t in transactions if t.TransactionType in "IJ"]
    assert compute_financials(customer(), no_credits, TODAY) == result


def test_stop_credit_wins_over_everything() -> None:
    result = compute_financials(
        customer(StopCredit=True, BalanceTotal="9000", CreditLimit="100"),
        [tran("I", "9000", days_ago(200))],
        TODAY,
    )
    assert result.credit_status is CreditStatus.ON_STOP
    assert result.days_overdue == 200
