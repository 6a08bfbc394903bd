"""A debtor's derived credit figures: overdue amount, days overdue, utilisation, credit status.

Accredo's balance buckets (``BalanceCurrent`` .. ``Balance3``) are *period* balances, not
due-date aging (accredo-api.md 10.1, "Balances and aging buckets"), so "overdue" is computed here
from the open transactions' ``DueDate`` and ``HoldAmount`` (10.5): the overdue part of a
transaction is ``UnallocatedAmount - HoldAmount``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from accredo_hubspot.accredo.models import ARCustomer, ARTransaction
from accredo_hubspot.mapping.credit_status import CreditStatus

#: Transaction types that debit the customer (10.5). A journal debits only when positive.
INVOICE_TYPE = "I"
JOURNAL_TYPE = "J"

#: ``days_overdue`` must be *more than* these to reach each overdue status.
OVERDUE_90_DAYS = 90
OVERDUE_60_DAYS = 60
OVERDUE_30_DAYS = 30

DEFAULT_NEAR_LIMIT_PCT = Decimal(90)

_ZERO = Decimal(0)
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Financials:
    """What ``compute_financials`` derives for one debtor on one day."""

    overdue_total: Decimal
    days_overdue: int
    credit_status: CreditStatus
    utilisation_pct: Decimal | None  # None: no credit limit
    oldest_overdue_due_date: date | None = None


def is_open_debit(transaction: ARTransaction) -> bool:
    """An invoice, or a positive journal, with something still unallocated (10.5 "open invoice")."""
    unallocated = transaction.UnallocatedAmount or _ZERO
    if unallocated == 0:
        return False
    kind = transaction.TransactionType.upper()
    if kind == INVOICE_TYPE:
        return True
    if kind == JOURNAL_TYPE:
        amount = transaction.TransactionAmount
        return (amount if amount is not None else unallocated) > 0
    return False


def overdue_amount(transaction: ARTransaction, today: date) -> Decimal:
    """``UnallocatedAmount - HoldAmount`` of an open debit past its due date, else 0.

    Due *today* is not yet overdue. Credits and receipts are never overdue; an unallocated
    credit lowers ``BalanceTotal`` but not this figure (Accredo's overdue-interest rule, 10.5).
    """
    if not is_open_debit(transaction) or transaction.DueDate is None:
        return _ZERO
    if transaction.DueDate >= today:
        return _ZERO
    owed = (transaction.UnallocatedAmount or _ZERO) - (transaction.HoldAmount or _ZERO)
    return owed if owed > 0 else _ZERO


def utilisation_pct(balance_total: Decimal | None, credit_limit: Decimal | None) -> Decimal | None:
    """Balance as a percentage of the limit, to 0.1; ``None`` when there is no limit (0/None)."""
    if credit_limit is None or credit_limit <= 0:
        return None
    balance = balance_total or _ZERO
    return (balance * 100 / credit_limit).quantize(_TENTH, rounding=ROUND_HALF_UP)


def credit_status(
    *,
    stop_credit: bool,
    days_overdue: int,
    balance_total: Decimal,
    credit_limit: Decimal | None,
    utilisation: Decimal | None,
    near_limit_pct: Decimal,
) -> CreditStatus:
    """The single most severe status, in this order of precedence:

    1. ``on_stop``: accounts have stopped credit (nothing else matters to a salesperson);
    2. ``overdue_90_plus`` / ``overdue_60`` / ``overdue_30``: oldest overdue invoice more than
       90 / 60 / 30 days past due (a late payer is worse news than a full account);
    3. ``over_limit``: balance above a set (positive) credit limit;
    4. ``near_limit``: utilisation (as shown, to 0.1 %) at or above ``near_limit_pct``;
    5. ``ok``. Invoices 1-30 days overdue alone do not change the status.
    """
    if stop_credit:
        return CreditStatus.ON_STOP
    if days_overdue > OVERDUE_90_DAYS:
        return CreditStatus.OVERDUE_90_PLUS
    if days_overdue > OVERDUE_60_DAYS:
        return CreditStatus.OVERDUE_60
    if days_overdue > OVERDUE_30_DAYS:
        return CreditStatus.OVERDUE_30
    if credit_limit is not None and credit_limit > 0 and balance_total > credit_limit:
        return CreditStatus.OVER_LIMIT
    if utilisation is not None and utilisation >= near_limit_pct:
        return CreditStatus.NEAR_LIMIT
    return CreditStatus.OK


def compute_financials(
    customer: ARCustomer,
    open_transactions: Sequence[ARTransaction],
    today: date,
    near_limit_pct: Decimal | int = DEFAULT_NEAR_LIMIT_PCT,
) -> Financials:
    """Derive the overdue figures and credit status of ``customer`` on ``today``.

    Transactions of other customers are ignored, so a caller may pass a shared list.
    """
    code = customer.CustomerCode.upper()
    overdue_total = _ZERO
    oldest_due: date | None = None
    for transaction in open_transactions:
        if transaction.CustomerCode.upper() != code:
            continue
        amount = overdue_amount(transaction, today)
        if amount > 0:
            overdue_total += amount
            due = transaction.DueDate
            if due is not None and (oldest_due is None or due < oldest_due):
                oldest_due = due
    days_overdue = (today - oldest_due).days if oldest_due is not None else 0
    balance_total = customer.BalanceTotal or _ZERO
    utilisation = utilisation_pct(balance_total, customer.CreditLimit)
    status = credit_status(
        stop_credit=bool(customer.StopCredit),
        days_overdue=days_overdue,
        balance_total=balance_total,
        credit_limit=customer.CreditLimit,
        utilisation=utilisation,
        near_limit_pct=Decimal(near_limit_pct),
    )
    return Financials(overdue_total, days_overdue, status, utilisation, oldest_due)
