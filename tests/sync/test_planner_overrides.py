"""An operator's value (``dead-letters replay --set``) stands in for the mapped one (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest

from accredo_hubspot.mapping.transforms import integer, text
from accredo_hubspot.sync.planner import (
    DesiredValuesError,
    Rule,
    RuleSet,
    desired_values,
    plan_records,
)
from accredo_hubspot.sync.records import Target

NOW = datetime(2026, 11, 30, tzinfo=UTC)
RULES = RuleSet(
    (
        Rule("industry_code", "Z_Industry", partial(integer, field="industry_code")),
        Rule("name", "CustomerName", text, True),
    ),
    key_field="code",
)


def test_an_override_replaces_a_value_that_cannot_be_mapped() -> None:
    values = {"Z_Industry": "Retail", "CustomerName": "Kiwi Ltd"}
    with pytest.raises(DesiredValuesError):
        desired_values("A1", values, RULES, NOW, for_create=False)
    assert desired_values(
        "A1", values, RULES, NOW, for_create=False, overrides={"industry_code": "7"}
    ) == {"code": "A1", "industry_code": "7"}


def test_overrides_are_per_record_and_planned_against_the_shadow() -> None:
    targets = [Target("A1", "11", "link"), Target("B2", "12", "link")]
    values = {"A1": {"Z_Industry": "Retail"}, "B2": {"Z_Industry": "Retail"}}
    shadows = {"A1": {"code": "A1"}, "B2": {"code": "B2"}}
    plans = plan_records(
        RULES, targets, values, shadows, now=NOW, overrides={"A1": {"industry_code": "7"}}
    )
    assert [(p.key, p.values) for p in plans.updates] == [("A1", {"industry_code": "7"})]
    assert [(p.key, p.field) for p in plans.problems] == [("B2", "industry_code")]
