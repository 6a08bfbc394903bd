"""Drift between a master's values and what the other side holds (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from accredo_hubspot.mapping.transforms import money, text
from accredo_hubspot.sync.drift import DriftReport, compare, compared_fields, same_value
from accredo_hubspot.sync.planner import Rule, RuleSet
from accredo_hubspot.sync.records import Values

NOW = datetime(2026, 11, 30, tzinfo=UTC)
RULES = RuleSet(
    (
        Rule("accredo_credit_limit", "CreditLimit", money),
        Rule("name", "CustomerName", text, create_only=True),
        Rule("accredo_note", "Note", lambda v: str(v) if v is not None else ""),
    ),
    key_field="accredo_customer_code",
    stamp="accredo_last_synced_at",
)


def test_equal_numbers_and_empty_values_are_no_drift() -> None:
    assert same_value("1500.00", "1500")
    assert same_value("", None)
    assert not same_value("1500.00", "1500.01")
    assert not same_value("Retail", "retail")
    assert not same_value("", "0")


def test_only_fields_written_always_are_compared_never_the_stamp() -> None:
    assert compared_fields(RULES) == [
        "accredo_customer_code",
        "accredo_credit_limit",
        "accredo_note",
    ]


def test_compare_reports_drift_per_field_and_what_it_could_not_compare() -> None:
    records: dict[str, Values] = {
        "A1": {"CreditLimit": Decimal("500"), "CustomerName": "A", "Note": "x"},
        "B2": {"CreditLimit": Decimal("10"), "CustomerName": "B", "Note": "y"},
        "C3": {"CreditLimit": Decimal("1"), "CustomerName": "C", "Note": "z"},
        "D4": {"CreditLimit": Decimal("1"), "CustomerName": "D", "Note": "w"},
        "E5": {"CreditLimit": "lots", "CustomerName": "E", "Note": "v"},
    }
    held = {
        # A user renamed the company (HubSpot's now) and changed the limit (Accredo's).
        "A1": {
            "accredo_customer_code": "A1",
            "accredo_credit_limit": "1",
            "name": "A!",
            "accredo_note": "x",
        },
        "B2": {"accredo_customer_code": "B2", "accredo_credit_limit": "10", "accredo_note": "y"},
        "C3": None,  # linked, but the company is gone
        "E5": {"accredo_customer_code": "E5"},
    }
    report = DriftReport()
    drifted = compare(report, "hubspot", records, held, RULES, NOW)
    assert drifted == ["A1"]
    assert [(d.record, d.field, d.expected, d.actual) for d in report.drift] == [
        ("A1", "accredo_credit_limit", "500.00", "1")
    ]
    assert report.counts() == {"accredo_credit_limit": 1}
    assert report.records() == ["A1"]
    assert (report.compared, report.missing, report.unlinked, report.unmapped) == (
        3,
        ["C3"],
        ["D4"],
        ["E5"],
    )
    assert report.drift[0].as_json() == {
        "side": "hubspot",
        "record": "A1",
        "field": "accredo_credit_limit",
        "expected": "500.00",
        "actual": "1",
    }
