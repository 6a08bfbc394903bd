"""An AR invoice as the ``accredo_invoice`` record's values, and its status on a given day.

Pure: "today" is an argument, Accredo's business date (``SystemDate``), so HubSpot's days
overdue agree with Accredo's own aging. Reference accredo-api.md 10.5: open means
``UnallocatedAmount`` not zero; overdue amount is unallocated less hold; paid is
``UnallocatedAmount`` zero (``DateFullyPaid`` set).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from accredo_hubspot.accredo.models import ARTransaction
from accredo_hubspot.mapping.config import FieldRule, accredo_rule
from accredo_hubspot.mapping.objects import INVOICE_STATUS_OPTIONS

OPEN, OVERDUE, PAID = "open", "overdue", "paid"
#: Accredo's base currency (``...Bs`` amounts are in it).
BASE_CURRENCY = "NZD"

_ZERO = Decimal(0)


def overdue_amount(invoice: ARTransaction) -> Decimal:
    """What is owing and not on hold."""
    return (invoice.UnallocatedAmount or _ZERO) - (invoice.HoldAmount or _ZERO)


def days_overdue(invoice: ARTransaction, today: date) -> int:
    """Days since the due date while something not on hold is owing; else 0."""
    due = invoice.DueDate
    if due is None or due >= today or overdue_amount(invoice) <= 0:
        return 0
    return (today - due).days


def invoice_status(invoice: ARTransaction, today: date) -> str:
    if (invoice.UnallocatedAmount or _ZERO) == 0:
        return PAID
    return OVERDUE if days_overdue(invoice, today) > 0 else OPEN


def invoice_values(invoice: ARTransaction, today: date) -> dict[str, object]:
    """The invoice's values, by ``accredo_invoice`` property (the rules below transform them).
    Amounts are in the invoice's currency; the ``_base`` ones in the base currency."""
    return {
        "invoice_number": invoice.Reference or str(invoice.TransactionID),
        "accredo_customer_code": invoice.CustomerCode.strip().upper(),
        "invoice_date": invoice.TransactionDate,
        "due_date": invoice.DueDate,
        "amount": invoice.TransactionAmount,
        "amount_outstanding": invoice.UnallocatedAmount,
        "amount_base": _base(invoice, invoice.TransactionAmount, invoice.TransactionAmountBs),
        "amount_outstanding_base": _base(
            invoice, invoice.UnallocatedAmount, invoice.UnallocatedAmountBs
        ),
        "days_overdue": days_overdue(invoice, today),
        "status": invoice_status(invoice, today),
        "currency": invoice.CurrencyCode or BASE_CURRENCY,
        "reference": invoice.OrderNo or "",
    }


def _base(invoice: ARTransaction, amount: Decimal | None, base: Decimal | None) -> Decimal | None:
    """The base-currency amount; for a base-currency invoice without one, the amount."""
    if base is not None:
        return base
    return amount if (invoice.CurrencyCode or BASE_CURRENCY) == BASE_CURRENCY else None


#: The invoice's mapping: every property but the unique id (the planner's key field).
INVOICE_RULES: tuple[FieldRule, ...] = (
    accredo_rule("invoice_number", "text"),
    accredo_rule("accredo_customer_code", "text"),
    accredo_rule("invoice_date", "date"),
    accredo_rule("due_date", "date"),
    accredo_rule("amount", "money"),
    accredo_rule("amount_outstanding", "money"),
    accredo_rule("amount_base", "money"),
    accredo_rule("amount_outstanding_base", "money"),
    accredo_rule("days_overdue", "integer"),
    accredo_rule("status", "enum", tuple(o.value for o in INVOICE_STATUS_OPTIONS)),
    accredo_rule("currency", "text"),
    accredo_rule("reference", "text"),
)


#: Overdue invoices listed one a line on the company; the rest are counted.
SUMMARY_LINES = 20


def invoice_summary(transactions: Sequence[ARTransaction], today: date) -> dict[str, object]:
    """The company summary properties that stand in for ``accredo_invoice`` records on a
    portal without custom objects: open invoice count, the oldest open one, and the overdue
    ones as readable text (``INV100001  $1,234.50  12 days overdue``, oldest first)."""
    owing = sorted(
        (t for t in transactions if t.TransactionType == "I" and (t.UnallocatedAmount or 0) != 0),
        key=lambda t: (t.TransactionDate or date.min, t.TransactionID),
    )
    oldest = owing[0] if owing else None
    overdue = [t for t in owing if days_overdue(t, today) > 0]
    lines = [
        f"{t.Reference or t.TransactionID}  ${t.UnallocatedAmount:,.2f}  "
        f"{days_overdue(t, today)} days overdue"
        for t in overdue[:SUMMARY_LINES]
    ]
    if len(overdue) > SUMMARY_LINES:
        lines.append(f"and {len(overdue) - SUMMARY_LINES} more")
    return {
        "accredo_open_invoice_count": len(owing),
        "accredo_oldest_open_invoice_number": (oldest.Reference or str(oldest.TransactionID))
        if oldest
        else "",
        "accredo_oldest_open_invoice_date": oldest.TransactionDate if oldest else None,
        "accredo_overdue_invoices": "\n".join(lines),
    }


#: The summary properties' mapping (written only without custom objects).
SUMMARY_RULES: tuple[FieldRule, ...] = (
    accredo_rule("accredo_open_invoice_count", "integer"),
    accredo_rule("accredo_oldest_open_invoice_number", "text"),
    accredo_rule("accredo_oldest_open_invoice_date", "date"),
    accredo_rule("accredo_overdue_invoices", "text"),
)
