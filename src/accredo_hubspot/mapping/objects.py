"""The HubSpot custom objects ``setup`` creates for invoices and orders, and the company
summary properties that stand in for them on a portal without custom objects.

Pure data, like ``mapping.properties``: each schema renders HubSpot's ``ObjectSchemaEgg``
(reference hubspot-api.md section 7: ``name, labels, properties, requiredProperties,
associatedObjects``; the Accredo id is a unique-value property, section 6, so a retried create
meets it and is not a copy). Searchable properties are those a salesperson types in: the
invoice or order number, the customer code, the customer's own reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from accredo_hubspot.mapping.properties import PROPERTY_GROUP, Option, PropertyDef

INVOICE_OBJECT = "accredo_invoice"
ORDER_OBJECT = "accredo_order"
INVOICE_ID_PROPERTY = "accredo_transaction_id"
ORDER_ID_PROPERTY = "accredo_document_id"

#: An invoice's status in HubSpot: ``overdue`` once Accredo's business date passes its due date.
INVOICE_STATUS_OPTIONS: tuple[Option, ...] = (
    Option("Open", "open", 0, "Not yet due."),
    Option("Overdue", "overdue", 1, "Past its due date with an amount still owing."),
    Option("Paid", "paid", 2, "Fully paid (allocated) in Accredo."),
)

_GROUP = PROPERTY_GROUP.name


def _text(name: str, label: str, description: str, *, unique: bool = False) -> PropertyDef:
    return PropertyDef(name, label, description, "string", "text", _GROUP, (), unique)


def _number(name: str, label: str, description: str) -> PropertyDef:
    return PropertyDef(name, label, description, "number", "number", _GROUP)


def _date(name: str, label: str, description: str) -> PropertyDef:
    return PropertyDef(name, label, description, "date", "date", _GROUP)


@dataclass(frozen=True)
class ObjectDef:
    """One custom object as ``setup`` creates it."""

    name: str
    singular: str
    plural: str
    description: str
    properties: tuple[PropertyDef, ...]
    primary_display: str
    secondary_display: tuple[str, ...]
    searchable: tuple[str, ...]
    required: tuple[str, ...]
    associated: tuple[str, ...] = ("COMPANY",)

    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)

    def to_hubspot(self) -> dict[str, Any]:
        """HubSpot's ``ObjectSchemaEgg`` for this object."""
        properties = []
        for prop in self.properties:
            body = prop.to_hubspot()
            body.pop("groupName")  # a schema's properties go in its own group
            body.pop("formField")
            properties.append(body)
        return {
            "name": self.name,
            "description": self.description,
            "labels": {"singular": self.singular, "plural": self.plural},
            "primaryDisplayProperty": self.primary_display,
            "secondaryDisplayProperties": list(self.secondary_display),
            "searchableProperties": list(self.searchable),
            "requiredProperties": list(self.required),
            "properties": properties,
            "associatedObjects": list(self.associated),
        }


INVOICE_SCHEMA = ObjectDef(
    name=INVOICE_OBJECT,
    singular="Accredo invoice",
    plural="Accredo invoices",
    description="Open invoices from Accredo accounts receivable, on the customer's company.",
    properties=(
        _text("invoice_number", "Invoice number", "The invoice's number (its reference)."),
        _text(
            INVOICE_ID_PROPERTY,
            "Accredo transaction id",
            "The invoice's TransactionID in Accredo; each belongs to one record here.",
            unique=True,
        ),
        _text("accredo_customer_code", "Customer code", "The Accredo customer invoiced."),
        _date("invoice_date", "Invoice date", "Date of the invoice."),
        _date("due_date", "Due date", "Date the invoice falls due."),
        _number("amount", "Amount", "Invoice total including GST, in the invoice's currency."),
        _number(
            "amount_outstanding",
            "Amount outstanding",
            "Still owing on the invoice, in the invoice's currency.",
        ),
        _number(
            "amount_base",
            "Amount (base currency)",
            "Invoice total in the company's base currency (NZD).",
        ),
        _number(
            "amount_outstanding_base",
            "Amount outstanding (base currency)",
            "Still owing in the company's base currency (NZD).",
        ),
        _number(
            "days_overdue",
            "Days overdue",
            "Days past the due date by Accredo's business date; 0 when not overdue.",
        ),
        PropertyDef(
            "status",
            "Status",
            "Open, overdue (past its due date) or paid.",
            "enumeration",
            "select",
            _GROUP,
            INVOICE_STATUS_OPTIONS,
        ),
        _text("currency", "Currency", "The invoice's currency code (e.g. NZD, AUD)."),
        _text("reference", "Customer order number", "The customer's order number on the invoice."),
    ),
    primary_display="invoice_number",
    secondary_display=("amount_outstanding", "status"),
    searchable=("invoice_number", "accredo_customer_code", "reference"),
    required=("invoice_number", INVOICE_ID_PROPERTY),
)

ORDER_SCHEMA = ObjectDef(
    name=ORDER_OBJECT,
    singular="Accredo order",
    plural="Accredo orders",
    description="Recent Order Entry orders from Accredo, on the customer's company.",
    properties=(
        _text("order_number", "Order number", "Accredo's number of the order (its DocumentID)."),
        _text(
            ORDER_ID_PROPERTY,
            "Accredo document id",
            "The order's DocumentID in Accredo; each belongs to one record here.",
            unique=True,
        ),
        _text("accredo_customer_code", "Customer code", "The Accredo customer ordering."),
        _text("customer_order_number", "Customer order number", "The customer's own PO number."),
        _date("order_date", "Order date", "Date of the order."),
        _text("order_status", "Status", "Unprocessed, open, processed or deleted."),
        _number("total_excl_gst", "Total excl. GST", "Order total excluding GST."),
        _number("total_incl_gst", "Total incl. GST", "Order total including GST."),
        _number("line_count", "Lines", "Number of lines on the order."),
        _text("top_lines", "Top lines", "The order's largest lines, as readable text."),
    ),
    primary_display="order_number",
    secondary_display=("order_date", "total_incl_gst"),
    searchable=("order_number", "accredo_customer_code", "customer_order_number"),
    required=("order_number", ORDER_ID_PROPERTY),
)

CUSTOM_OBJECTS: tuple[ObjectDef, ...] = (INVOICE_SCHEMA, ORDER_SCHEMA)

#: Company properties written when the portal has no custom objects (or by configuration).
SUMMARY_PROPERTIES: tuple[PropertyDef, ...] = (
    _number(
        "accredo_open_invoice_count",
        "Open invoices (Accredo)",
        "Number of invoices with an amount still owing.",
    ),
    _text(
        "accredo_oldest_open_invoice_number",
        "Oldest open invoice (Accredo)",
        "Number of the oldest invoice with an amount still owing.",
    ),
    _date(
        "accredo_oldest_open_invoice_date",
        "Oldest open invoice date (Accredo)",
        "Date of the oldest invoice with an amount still owing.",
    ),
    PropertyDef(
        "accredo_overdue_invoices",
        "Overdue invoices (Accredo)",
        "Each overdue invoice: number, amount owing, days overdue.",
        "string",
        "textarea",
        _GROUP,
    ),
    PropertyDef(
        "accredo_last_orders",
        "Last orders (Accredo)",
        "The customer's most recent orders: number, date, total.",
        "string",
        "textarea",
        _GROUP,
    ),
)

#: Company rollups of the customer's orders over the window.
ORDER_ROLLUP_PROPERTIES: tuple[PropertyDef, ...] = (
    _number(
        "accredo_orders_12m_count",
        "Orders, last 12 months (Accredo)",
        "Number of Order Entry orders in the window.",
    ),
    _number(
        "accredo_average_order_value",
        "Average order value (Accredo)",
        "Average order total excluding GST over the window.",
    ),
    _date("accredo_last_order_date", "Last order date (Accredo)", "Date of the latest order."),
    _text(
        "accredo_top_skus",
        "Top products (Accredo)",
        "The five product codes ordered for the most value over the window.",
    ),
)

PRICE_TIER_PROPERTY = "accredo_price_tier"


def price_tier_options(price_codes: Sequence[tuple[str, str, bool]]) -> list[Option]:
    """One option per Accredo price code (``TABLE_COPRICE``): ``(PriceCode, PriceListName,
    Inactive)`` in Accredo's order; the code is the value, the name the label (reference
    accredo-api.md 10.8), and an inactive code a hidden option."""
    return [
        Option(name or code, code, order, f"Accredo price code {code}", inactive)
        for order, (code, name, inactive) in enumerate(price_codes)
    ]


def price_tier_property(options: Sequence[Option]) -> PropertyDef:
    """``accredo_price_tier`` with these options (at least one: HubSpot needs an option on an
    enumeration)."""
    return PropertyDef(
        PRICE_TIER_PROPERTY,
        "Price tier (Accredo)",
        "The Accredo price list the customer is invoiced from.",
        "enumeration",
        "select",
        _GROUP,
        tuple(options),
    )


def merged_options(existing: Sequence[Option], wanted: Sequence[Option]) -> list[Option] | None:
    """The options an enumeration should have: every option it has, as it is (a label or an
    order someone changed in HubSpot stays, and an option no longer wanted is kept for the
    records that hold it), then the wanted ones it lacks, ordered after them. ``None`` when
    it lacks none."""
    have = {option.value for option in existing}
    missing = [option for option in wanted if option.value not in have]
    if not missing:
        return None
    start = max((option.display_order for option in existing), default=-1) + 1
    added = [replace(option, display_order=start + i) for i, option in enumerate(missing)]
    return [*existing, *added]
