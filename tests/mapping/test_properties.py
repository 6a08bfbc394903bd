"""The property definitions setup creates: names, HubSpot-valid types, options."""

from __future__ import annotations

import pytest

from accredo_hubspot.mapping.credit_status import CreditStatus
from accredo_hubspot.mapping.properties import (
    COMPANY_PROPERTIES,
    PROPERTY_GROUP,
    VALID_FIELD_TYPES,
    PropertyDef,
    company_properties,
    property_by_name,
)

EXPECTED_NAMES = {
    "accredo_customer_code",
    "nzbn",
    "accredo_credit_limit",
    "accredo_balance_total",
    "accredo_balance_current",
    "accredo_balance_1",
    "accredo_balance_2",
    "accredo_balance_3_plus",
    "accredo_balance_future",
    "accredo_overdue_total",
    "accredo_days_overdue",
    "accredo_credit_status",
    "accredo_credit_utilisation_pct",
    "accredo_stop_credit",
    "accredo_last_invoice_date",
    "accredo_last_payment_date",
    "accredo_last_payment_amount",
    "accredo_average_days_to_pay",
    "accredo_sales_ytd",
    "accredo_sales_last_year",
    "accredo_last_synced_at",
}


def test_exactly_the_issue_properties() -> None:
    names = [p.name for p in COMPANY_PROPERTIES]
    assert set(names) == EXPECTED_NAMES
    assert len(names) == len(set(names))


def test_group_is_accredo() -> None:
    body = PROPERTY_GROUP.to_hubspot()
    assert (body["name"], body["label"]) == ("accredo", "Accredo")
    assert {p.group_name for p in COMPANY_PROPERTIES} == {"accredo"}


@pytest.mark.parametrize("prop", COMPANY_PROPERTIES, ids=lambda p: p.name)
def test_create_body_is_what_hubspot_accepts(prop: PropertyDef) -> None:
    body = prop.to_hubspot()
    for key in ("name", "label", "type", "fieldType", "groupName"):
        assert body[key], key
    assert body["fieldType"] in VALID_FIELD_TYPES[body["type"]]
    assert body["name"].islower() and body["name"][0].isalpha()
    assert body["description"]
    if body["type"] in ("enumeration", "bool"):
        assert body["options"]
    else:
        assert "options" not in body


def test_only_customer_code_is_unique() -> None:
    unique = [p.name for p in COMPANY_PROPERTIES if p.has_unique_value]
    assert unique == ["accredo_customer_code"]
    assert property_by_name()["accredo_customer_code"].to_hubspot()["hasUniqueValue"] is True


def test_types() -> None:
    props = property_by_name()
    assert (props["accredo_stop_credit"].type, props["accredo_stop_credit"].field_type) == (
        "bool",
        "booleancheckbox",
    )
    assert props["accredo_stop_credit"].option_values() == ("true", "false")
    assert props["accredo_last_invoice_date"].type == "date"
    assert props["accredo_last_payment_date"].type == "date"
    assert (props["accredo_last_synced_at"].type, props["accredo_last_synced_at"].field_type) == (
        "datetime",
        "date",
    )
    assert props["accredo_balance_1"].type == "number"
    assert props["accredo_balance_1"].label == "Balance 1 month (Accredo)"
    assert props["nzbn"].type == "string"


def test_credit_status_options_are_values_with_readable_labels() -> None:
    prop = property_by_name()["accredo_credit_status"]
    assert (prop.type, prop.field_type) == ("enumeration", "select")
    assert set(prop.option_values()) == {s.value for s in CreditStatus}
    assert set(prop.option_values()) == {
        "ok",
        "near_limit",
        "over_limit",
        "overdue_30",
        "overdue_60",
        "overdue_90_plus",
        "on_stop",
    }
    for option in prop.to_hubspot()["options"]:
        assert option["label"] != option["value"]
        assert option["label"][0].isupper()


def test_nzbn_property_name_is_configurable() -> None:
    names = [p.name for p in company_properties("company_nzbn")]
    assert "company_nzbn" in names
    assert "nzbn" not in names
    assert len(names) == len(COMPANY_PROPERTIES)


def test_invalid_type_pair_refused() -> None:
    with pytest.raises(ValueError, match="fieldType"):
        PropertyDef("x", "X", "d", "number", "text", "accredo")
    with pytest.raises(ValueError, match="options"):
        PropertyDef("x", "X", "d", "enumeration", "select", "accredo")
