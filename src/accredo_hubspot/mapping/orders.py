"""An Order Entry order as the ``accredo_order`` record's values, and the company's rollups of
a customer's orders over the window. Pure.

Reference accredo-api.md 10.7: an order's number is its ``DocumentID`` (``OrderNo`` is the
customer's purchase-order number); its value is what was ordered, ``ExclusiveAmountOrdered``
(excl. GST) and ``GrossAmountOrdered`` (incl. GST); lines carry ``ProductCode`` and their own
``ExclusiveAmountOrdered``. Lines deleted, and narrative lines (text, no product), do not count.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from accredo_hubspot.accredo.models import OEOrder, OEOrderLine
from accredo_hubspot.mapping.config import FieldRule, accredo_rule

#: ``PostStatus`` codes as HubSpot shows them (reference 10.7).
ORDER_STATUS = {"U": "Unprocessed", "O": "Open", "P": "Processed", "D": "Deleted"}
#: Lines shown on an order record, largest first; the rest are counted.
TOP_LINES = 5
#: Product codes in the company's ``accredo_top_skus``.
TOP_SKUS = 5
NARRATIVE_LINE_TYPES = frozenset({"N", "S"})
DELETED_LINE = "D"

_ZERO = Decimal(0)
_CENT = Decimal("0.01")


def window_start(today: date, months: int) -> date:
    """The first day of the window of ``months`` months that ends ``today``."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def counted_lines(order: OEOrder) -> list[OEOrderLine]:
    """The lines that count: not deleted, not narrative."""
    return [
        line
        for line in order.Line
        if line.LineStatus != DELETED_LINE and line.LineType not in NARRATIVE_LINE_TYPES
    ]


def _value(line: OEOrderLine) -> Decimal:
    return line.ExclusiveAmountOrdered or _ZERO


def top_lines_text(order: OEOrder) -> str:
    """The order's largest lines, one a line: ``PAINT-WB-10L  20 x Paint 10L  $3,780.00``."""
    lines = sorted(counted_lines(order), key=lambda ln: (-_value(ln), ln.LineNo or 0))
    text = [_line_text(ln) for ln in lines[:TOP_LINES]]
    if len(lines) > TOP_LINES:
        text.append(f"and {len(lines) - TOP_LINES} more lines")
    return "\n".join(text)


def _line_text(line: OEOrderLine) -> str:
    what = (
        f"{line.QuantityOrdered or _ZERO:g} x {line.Description}"
        if line.Description
        else (f"{line.QuantityOrdered or _ZERO:g}")
    )
    return f"{line.ProductCode or ''}  {what}  ${_value(line):,.2f}"


def order_values(order: OEOrder) -> dict[str, object]:
    """The order's values, by ``accredo_order`` property (the rules below transform them)."""
    return {
        "order_number": str(order.DocumentID),
        "accredo_customer_code": order.CustomerCode.strip().upper(),
        "customer_order_number": order.OrderNo or "",
        "order_date": order.DocumentDate,
        "order_status": ORDER_STATUS.get(order.PostStatus or "", order.PostStatus or ""),
        "total_excl_gst": order.ExclusiveAmountOrdered,
        "total_incl_gst": order.GrossAmountOrdered,
        "line_count": len(counted_lines(order)),
        "top_lines": top_lines_text(order),
    }


def latest_orders(orders: Sequence[OEOrder], count: int) -> list[OEOrder]:
    """The ``count`` most recent orders, newest first (by date, then number)."""
    return sorted(orders, key=lambda o: (o.DocumentDate or date.min, o.DocumentID), reverse=True)[
        :count
    ]


def _base_value(order: OEOrder) -> Decimal:
    """The order's value excl. GST in the base currency (as entered when Accredo has none)."""
    if order.ExclusiveAmountOrderedBs is not None:
        return order.ExclusiveAmountOrderedBs
    return order.ExclusiveAmountOrdered or _ZERO


def order_rollup(orders: Sequence[OEOrder]) -> dict[str, object]:
    """The company's rollups of a customer's orders in the window: how many, their average
    value excl. GST (base currency), the latest date, and the five product codes ordered for
    the most value (``PAINT-WB-10L, TIMBER-14045``)."""
    by_sku: dict[str, Decimal] = defaultdict(Decimal)
    for order in orders:
        for line in counted_lines(order):
            if line.ProductCode:
                by_sku[line.ProductCode.strip()] += _value(line)
    ranked = sorted(by_sku.items(), key=lambda kv: (-kv[1], kv[0]))
    average = sum((_base_value(o) for o in orders), _ZERO) / len(orders) if orders else None
    return {
        "accredo_orders_12m_count": len(orders),
        "accredo_average_order_value": average.quantize(_CENT) if average is not None else None,
        "accredo_last_order_date": max(
            (o.DocumentDate for o in orders if o.DocumentDate), default=None
        ),
        "accredo_top_skus": ", ".join(code for code, _ in ranked[:TOP_SKUS]),
    }


def last_orders_text(orders: Sequence[OEOrder]) -> str:
    """The last orders on the company, for portals without custom objects, newest first:
    ``10234  2026-11-02  $1,234.50 incl. GST  Open  ref PO4411``."""
    lines = []
    for order in orders:
        line = (
            f"{order.DocumentID}  {order.DocumentDate or ''}  "
            f"${order.GrossAmountOrdered or _ZERO:,.2f} incl. GST  "
            f"{ORDER_STATUS.get(order.PostStatus or '', order.PostStatus or '')}"
        )
        if order.OrderNo:
            line += f"  ref {order.OrderNo}"
        lines.append(line)
    return "\n".join(lines)


#: The order's mapping: every property but the unique id (the planner's key field).
ORDER_RULES: tuple[FieldRule, ...] = (
    accredo_rule("order_number", "text"),
    accredo_rule("accredo_customer_code", "text"),
    accredo_rule("customer_order_number", "text"),
    accredo_rule("order_date", "date"),
    accredo_rule("order_status", "text"),
    accredo_rule("total_excl_gst", "money"),
    accredo_rule("total_incl_gst", "money"),
    accredo_rule("line_count", "integer"),
    accredo_rule("top_lines", "text"),
)

#: The company's order rollups (always written), and the last orders as text (written only
#: without custom objects).
ROLLUP_RULES: tuple[FieldRule, ...] = (
    accredo_rule("accredo_orders_12m_count", "integer"),
    accredo_rule("accredo_average_order_value", "money"),
    accredo_rule("accredo_last_order_date", "date"),
    accredo_rule("accredo_top_skus", "text"),
)
LAST_ORDERS_PROPERTY = "accredo_last_orders"
LAST_ORDERS_RULE = accredo_rule(LAST_ORDERS_PROPERTY, "text")
