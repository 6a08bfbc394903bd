"""Pure: an order's values and the company's rollups of a customer's orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from accredo_hubspot.accredo.models import OEOrder, OEOrderLine
from accredo_hubspot.mapping.orders import (
    last_orders_text,
    latest_orders,
    order_rollup,
    order_values,
    window_start,
)


def line(code: str, value: str, *, qty: int = 1, status: str = "U", kind: str = "P") -> OEOrderLine:
    return OEOrderLine(
        ProductCode=code,
        Description=f"{code} desc",
        QuantityOrdered=Decimal(qty),
        ExclusiveAmountOrdered=Decimal(value),
        LineStatus=status,
        LineType=kind,
    )


def order(doc: int, day: date, *lines: OEOrderLine, base: str | None = None) -> OEOrder:
    total = sum((ln.ExclusiveAmountOrdered or Decimal(0) for ln in lines), Decimal(0))
    return OEOrder(
        DocumentID=doc,
        CustomerCode="acme ",
        PostStatus="O",
        DocumentDate=day,
        OrderNo="PO77",
        ExclusiveAmountOrdered=total,
        GrossAmountOrdered=total * Decimal("1.15"),
        ExclusiveAmountOrderedBs=Decimal(base) if base else None,
        Line=list(lines),
    )


def test_the_window_goes_back_whole_calendar_months() -> None:
    assert window_start(date(2026, 11, 30), 12) == date(2025, 11, 30)
    assert window_start(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert window_start(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert window_start(date(2026, 1, 15), 3) == date(2025, 10, 15)


def test_an_order_shows_its_largest_lines_first_without_deleted_or_narrative_ones() -> None:
    lines = [line(f"SKU{i}", str(10 * i), qty=i) for i in range(1, 8)]
    lines += [line("GONE", "9999", status="D"), line("", "0", kind="N")]
    values = order_values(order(42, date(2026, 11, 2), *lines))
    assert values["order_number"] == "42"
    assert values["accredo_customer_code"] == "ACME"
    assert values["order_status"] == "Open"
    assert values["line_count"] == 7
    text = str(values["top_lines"]).splitlines()
    assert text[0] == "SKU7  7 x SKU7 desc  $70.00"
    assert [t.split()[0] for t in text[:5]] == ["SKU7", "SKU6", "SKU5", "SKU4", "SKU3"]
    assert text[5] == "and 2 more lines"


def test_rollups_count_average_in_base_currency_and_rank_products_by_value() -> None:
    orders = [
        order(1, date(2026, 5, 1), line("A", "100"), line("B", "50"), base="120"),
        order(2, date(2026, 9, 9), line("B", "70"), line("C", "10")),
        order(3, date(2026, 7, 1), *(line(f"X{i}", "1") for i in range(5))),
    ]
    rollup = order_rollup(orders)
    assert rollup["accredo_orders_12m_count"] == 3
    assert rollup["accredo_average_order_value"] == Decimal("68.33")  # (120 + 80 + 5) / 3
    assert rollup["accredo_last_order_date"] == date(2026, 9, 9)
    assert rollup["accredo_top_skus"] == "B, A, C, X0, X1"


def test_no_orders_is_a_zero_count_and_nothing_else() -> None:
    assert order_rollup([]) == {
        "accredo_orders_12m_count": 0,
        "accredo_average_order_value": None,
        "accredo_last_order_date": None,
        "accredo_top_skus": "",
    }


def test_the_last_orders_newest_first_as_text() -> None:
    orders = [order(i, date(2026, 1, i), line("A", str(i))) for i in range(1, 6)]
    latest = latest_orders(orders, 3)
    assert [o.DocumentID for o in latest] == [5, 4, 3]
    assert last_orders_text(latest).splitlines() == [
        "5  2026-01-05  $5.75 incl. GST  Open  ref PO77",
        "4  2026-01-04  $4.60 incl. GST  Open  ref PO77",
        "3  2026-01-03  $3.45 incl. GST  Open  ref PO77",
    ]
