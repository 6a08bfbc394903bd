"""The HubSpot property group and company properties that ``accredo-hubspot setup`` creates.

Pure data: each definition renders HubSpot's ``PropertyCreate`` JSON (reference hubspot-api.md
section 6: required ``name, label, type, fieldType, groupName``; valid type/fieldType pairs;
``options`` for enumerations and booleans). Labels and descriptions are written for the
salesperson who reads them on the company record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from accredo_hubspot.mapping.credit_status import (
    CREDIT_STATUS_DESCRIPTIONS,
    CREDIT_STATUS_LABELS,
    CREDIT_STATUS_ORDER,
)

#: Property names the connector manages itself (not configurable in the mapping).
CUSTOMER_CODE_PROPERTY = "accredo_customer_code"
SYNCED_AT_PROPERTY = "accredo_last_synced_at"
DEFAULT_NZBN_PROPERTY = "nzbn"

#: HubSpot's documented pairs of ``type`` and ``fieldType`` (hubspot-api.md section 6).
VALID_FIELD_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset({"text", "textarea", "html", "phonenumber", "file"}),
    "number": frozenset({"number"}),
    "bool": frozenset({"booleancheckbox"}),
    "enumeration": frozenset({"select", "radio", "checkbox", "booleancheckbox"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
}


@dataclass(frozen=True)
class Option:
    """One enumeration option: ``value`` is what the API reads and writes, ``label`` is shown."""

    label: str
    value: str
    display_order: int = 0
    description: str = ""
    hidden: bool = False  # kept for records that have it, not offered for new ones

    def to_hubspot(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "displayOrder": self.display_order,
            "description": self.description,
            "hidden": self.hidden,
        }


@dataclass(frozen=True)
class PropertyGroup:
    """A property group (``{name, label, displayOrder}``), shown as a card section in HubSpot."""

    name: str
    label: str
    display_order: int = -1

    def to_hubspot(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "displayOrder": self.display_order}


@dataclass(frozen=True)
class PropertyDef:
    """One company property as ``setup`` creates it."""

    name: str
    label: str
    description: str
    type: str
    field_type: str
    group_name: str
    options: tuple[Option, ...] = ()
    has_unique_value: bool = False

    def __post_init__(self) -> None:
        allowed = VALID_FIELD_TYPES.get(self.type)
        if allowed is None or self.field_type not in allowed:
            raise ValueError(
                f"property {self.name!r}: HubSpot does not accept type {self.type!r} "
                f"with fieldType {self.field_type!r}"
            )
        if self.type in ("enumeration", "bool") and not self.options:
            raise ValueError(f"property {self.name!r}: type {self.type!r} needs options")

    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    def to_hubspot(self) -> dict[str, Any]:
        """HubSpot's ``PropertyCreate`` body for this property."""
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": self.group_name,
            "formField": False,
            "hasUniqueValue": self.has_unique_value,
        }
        if self.options:
            body["options"] = [option.to_hubspot() for option in self.options]
        return body


PROPERTY_GROUP = PropertyGroup(name="accredo", label="Accredo")
_GROUP = PROPERTY_GROUP.name

#: HubSpot requires a boolean checkbox to carry exactly these two options.
BOOL_OPTIONS: tuple[Option, ...] = (
    Option(label="Yes", value="true", display_order=0),
    Option(label="No", value="false", display_order=1),
)

CREDIT_STATUS_OPTIONS: tuple[Option, ...] = tuple(
    Option(
        label=CREDIT_STATUS_LABELS[status],
        value=status.value,
        display_order=order,
        description=CREDIT_STATUS_DESCRIPTIONS[status],
    )
    for order, status in enumerate(CREDIT_STATUS_ORDER)
)


def _text(name: str, label: str, description: str, *, unique: bool = False) -> PropertyDef:
    return PropertyDef(name, label, description, "string", "text", _GROUP, (), unique)


def _number(name: str, label: str, description: str) -> PropertyDef:
    return PropertyDef(name, label, description, "number", "number", _GROUP)


def _date(name: str, label: str, description: str) -> PropertyDef:
    return PropertyDef(name, label, description, "date", "date", _GROUP)


def _nzbn(name: str) -> PropertyDef:
    return _text(
        name,
        "NZBN",
        "New Zealand Business Number (13 digits) from Accredo's Tax Business No; "
        "for Australian customers, their ABN (11 digits). Used to match companies to Accredo.",
    )


COMPANY_PROPERTIES: tuple[PropertyDef, ...] = (
    _text(
        CUSTOMER_CODE_PROPERTY,
        "Accredo customer code",
        "The customer's account code in Accredo. Links this company to its Accredo debtor; "
        "each code belongs to one company.",
        unique=True,
    ),
    _nzbn(DEFAULT_NZBN_PROPERTY),
    _number(
        "accredo_credit_limit",
        "Credit limit (Accredo)",
        "Most this customer may owe us. Empty or 0 means no limit.",
    ),
    _number(
        "accredo_balance_total",
        "Balance owing (Accredo)",
        "Everything the customer owes now, after credits and payments not yet matched.",
    ),
    _number(
        "accredo_balance_current",
        "Balance this month (Accredo)",
        "Owed from this month's invoices (Accredo current period balance).",
    ),
    _number(
        "accredo_balance_1",
        "Balance 1 month (Accredo)",
        "Owed from last month's invoices (Accredo period balance).",
    ),
    _number(
        "accredo_balance_2",
        "Balance 2 months (Accredo)",
        "Owed from invoices of two months ago (Accredo period balance).",
    ),
    _number(
        "accredo_balance_3_plus",
        "Balance 3+ months (Accredo)",
        "Owed from invoices three or more months old (Accredo period balance).",
    ),
    _number(
        "accredo_balance_future",
        "Balance future-dated (Accredo)",
        "Owed on invoices dated in a future period.",
    ),
    _number(
        "accredo_overdue_total",
        "Overdue amount (Accredo)",
        "Owed on invoices past their due date, less any amount on hold.",
    ),
    _number(
        "accredo_days_overdue",
        "Days overdue (Accredo)",
        "Days since the due date of the oldest unpaid overdue invoice; 0 when nothing is overdue.",
    ),
    PropertyDef(
        "accredo_credit_status",
        "Credit status (Accredo)",
        "On stop, overdue 30/60/90+ days, over or near the credit limit, or OK. "
        "Workflows can branch on it.",
        "enumeration",
        "select",
        _GROUP,
        CREDIT_STATUS_OPTIONS,
    ),
    _number(
        "accredo_credit_utilisation_pct",
        "Credit used % (Accredo)",
        "Balance owing as a percentage of the credit limit; empty when there is no limit.",
    ),
    PropertyDef(
        "accredo_stop_credit",
        "On stop (Accredo)",
        "Yes when accounts have stopped credit: new invoices and orders are blocked.",
        "bool",
        "booleancheckbox",
        _GROUP,
        BOOL_OPTIONS,
    ),
    _date(
        "accredo_last_invoice_date",
        "Last invoice date (Accredo)",
        "Date of the customer's most recent invoice.",
    ),
    _date(
        "accredo_last_payment_date",
        "Last payment date (Accredo)",
        "Date of the customer's most recent payment.",
    ),
    _number(
        "accredo_last_payment_amount",
        "Last payment amount (Accredo)",
        "Amount of the customer's most recent payment.",
    ),
    _number(
        "accredo_average_days_to_pay",
        "Average days to pay (Accredo)",
        "On average, days from invoice date to full payment.",
    ),
    _number(
        "accredo_sales_ytd",
        "Sales this year (Accredo)",
        "Sales to this customer so far this financial year, excluding GST and charges.",
    ),
    _number(
        "accredo_sales_last_year",
        "Sales last year (Accredo)",
        "Sales to this customer in the last financial year, excluding GST and charges.",
    ),
    PropertyDef(
        SYNCED_AT_PROPERTY,
        "Last synced from Accredo",
        "When the connector last changed this company's Accredo figures.",
        "datetime",
        "date",
        _GROUP,
    ),
)


def company_properties(nzbn_property: str = DEFAULT_NZBN_PROPERTY) -> tuple[PropertyDef, ...]:
    """The company properties with the NZBN property under the site's chosen name."""
    return tuple(
        _nzbn(nzbn_property) if prop.name == DEFAULT_NZBN_PROPERTY else prop
        for prop in COMPANY_PROPERTIES
    )


def property_by_name(nzbn_property: str = DEFAULT_NZBN_PROPERTY) -> dict[str, PropertyDef]:
    """The company properties keyed by name (for option lookups)."""
    return {prop.name: prop for prop in company_properties(nzbn_property)}


#: The company's financial risk, kept on its open deals too (issue 9), so deal workflows and
#: forecasts can weigh a deal without looking across associations.
DEAL_RISK_PROPERTIES = ("accredo_credit_status", "accredo_days_overdue")


def deal_properties() -> tuple[PropertyDef, ...]:
    """The deal properties: the company's credit status and days overdue, as on the company."""
    by_name = property_by_name()
    return tuple(
        replace(
            by_name[name],
            description="The company's, kept current on its open deals. "
            + by_name[name].description,
        )
        for name in DEAL_RISK_PROPERTIES
    )
