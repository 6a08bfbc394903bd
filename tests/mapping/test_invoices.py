"""An AR invoice's values and status on a given business day, and the company summary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from accredo_hubspot.accredo.models import ARTransaction
from accredo_hubspot.mapping.invoices import (
    days_overdue,
    invoice_status,
    invoice_summary,
    invoice_values,
)

TODAY = date(2025, 6, 30)


def invoice(
    tid: int = 1, owing: str = "100.00", due: date = date(2025, 6, 20), **kw: object
) -> ARTransaction:
    fields: dict[str, object] = {
        "TransactionID": tid,
        "CustomerCode": "acme ",
        "TransactionType": "I",
        "TransactionDate": date(2025, 5, 20),
        "Reference": f"INV{tid}",
        "TransactionAmount": Decimal("250.00"),
        "UnallocatedAmount": Decimal(owing),
        "HoldAmount": Decimal(0),
        "DueDate": due,
        **kw,
    }
    return ARTransaction.model_validate(fields)


def test_status_follows_the_business_date() -> None:
    assert invoice_status(invoice(due=TODAY), TODAY) == "open"  # due today: not yet overdue
    assert invoice_status(invoice(), TODAY) == "overdue"
    assert days_overdue(invoice(), TODAY) == 10
    assert invoice_status(invoice(owing="0"), TODAY) == "paid"
    assert days_overdue(invoice(owing="0"), TODAY) == 0


def test_an_amount_wholly_on_hold_is_not_overdue() -> None:
    held = invoice(HoldAmount=Decimal("100.00"))
    assert (invoice_status(held, TODAY), days_overdue(held, TODAY)) == ("open", 0)


def test_foreign_currency_amounts_beside_base_amounts() -> None:
    aud = invoice(
        CurrencyCode="AUD",
        TransactionAmountBs=Decimal("270.00"),
        UnallocatedAmountBs=Decimal("108.00"),
    )
    values = invoice_values(aud, TODAY)
    assert values["currency"] == "AUD"
    assert (values["amount"], values["amount_base"]) == (Decimal("250.00"), Decimal("270.00"))
    assert values["amount_outstanding_base"] == Decimal("108.00")
    assert values["accredo_customer_code"] == "ACME"
    unknown = invoice_values(invoice(CurrencyCode="AUD"), TODAY)
    assert unknown["amount_base"] is None  # never an AUD amount labelled as NZD
    assert invoice_values(invoice(), TODAY)["amount_base"] == Decimal("250.00")


def test_the_summary_lists_overdue_invoices_oldest_first() -> None:
    rows = [
        invoice(1, due=date(2025, 7, 20), TransactionDate=date(2025, 6, 1)),
        invoice(2, owing="1234.5", TransactionDate=date(2025, 4, 1), due=date(2025, 5, 1)),
        invoice(3, owing="0"),
        invoice(4, TransactionType="R"),
    ]
    summary = invoice_summary(rows, TODAY)
    assert summary["accredo_open_invoice_count"] == 2
    assert summary["accredo_oldest_open_invoice_number"] == "INV2"
    assert summary["accredo_oldest_open_invoice_date"] == date(2025, 4, 1)
    assert summary["accredo_overdue_invoices"] == "INV2  $1,234.50  60 days overdue"
    assert invoice_summary([], TODAY)["accredo_open_invoice_count"] == 0
