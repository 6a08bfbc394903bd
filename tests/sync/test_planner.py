"""Planning writes: desired values, shadow diffs, idempotence, per-record problems, and plain
values that tell a field not read from a field cleared."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accredo_hubspot.accredo.models import ARCustomer, ARTransaction
from accredo_hubspot.mapping.config import load_config, parse_config
from accredo_hubspot.mapping.properties import SYNCED_AT_PROPERTY
from accredo_hubspot.sync.companies import (
    company_rules,
    company_values,
    desired_company_properties,
    target_of,
)
from accredo_hubspot.sync.matcher import MatchResult, Via
from accredo_hubspot.sync.planner import (
    DesiredValuesError,
    Plans,
    RuleSet,
    compile_rules,
    desired_values,
    plan_record,
    plan_records,
    plan_update,
)
from accredo_hubspot.sync.records import ABSENT, Target, values_read

CONFIG = load_config(None)
TODAY = date(2026, 4, 5)
NOW = datetime(2026, 4, 5, 1, 30, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
D = Decimal


def debtor(code: str = "KIWI01", **fields: object) -> ARCustomer:
    base: dict[str, object] = {
        "CustomerCode": code,
        "CustomerName": "  Ngāti Whātua Ōrākei O'Brien Ltd ",
        "Address1": "1 Queen St",
        "PhoneNo": "09 123 4567",
        "WebAddress": "https://www.kiwi.nz",
        "EmailAddress": "accounts@kiwi.nz",
        "BusinessNo": "9429041000014",
        "CreditLimit": "5000",
        "BalanceTotal": "4600.5",
        "BalanceCurrent": "4600.5",
        "Balance1": "0",
        "Balance2": "0",
        "Balance3": "0",
        "BalanceFuture": "0",
        "StopCredit": False,
        "DateOfLastSale": "2026-04-01",
        "AverageDaysToPay": "23.456",
    }
    base.update(fields)
    return ARCustomer.model_validate(base)


def invoice(due: date, amount: str, code: str = "KIWI01") -> ARTransaction:
    return ARTransaction(
        TransactionID=1,
        CustomerCode=code,
        TransactionType="I",
        TransactionAmount=D(amount),
        UnallocatedAmount=D(amount),
        HoldAmount=D(0),
        DueDate=due,
    )


def desired(
    customer: ARCustomer, *, for_create: bool = False, now: datetime = NOW
) -> dict[str, str]:
    return desired_company_properties(customer, [], TODAY, now, CONFIG, for_create=for_create)


def plan_company_update(want: Mapping[str, str], shadow: Mapping[str, str]) -> dict[str, str]:
    return plan_update(want, shadow, SYNCED_AT_PROPERTY)


def plan_companies(
    matches: list[MatchResult],
    customers: Mapping[str, ARCustomer],
    shadows: Mapping[str, Mapping[str, str]],
    *,
    now: datetime,
) -> Plans:
    values = {code: company_values(c, [], TODAY, CONFIG) for code, c in customers.items()}
    targets = [target_of(m) for m in matches]
    return plan_records(company_rules(CONFIG), targets, values, shadows, now=now)


def test_desired_values_for_an_update() -> None:
    values = desired(debtor())
    assert values["accredo_customer_code"] == "KIWI01"
    assert values["nzbn"] == "9429041000014"
    assert values["accredo_credit_limit"] == "5000.00"
    assert values["accredo_balance_total"] == "4600.50"
    assert values["accredo_credit_utilisation_pct"] == "92.0"
    assert values["accredo_credit_status"] == "near_limit"
    assert values["accredo_stop_credit"] == "false"
    assert values["accredo_last_invoice_date"] == "2026-04-01"
    assert values["accredo_last_payment_date"] == ""
    assert values["accredo_average_days_to_pay"] == "23.5"
    assert values["accredo_days_overdue"] == "0"
    assert values["accredo_overdue_total"] == "0.00"
    assert values["accredo_last_synced_at"] == "2026-04-05T01:30:00.000Z"
    for create_only in ("name", "address", "phone", "website", "domain"):
        assert create_only not in values


def test_desired_values_for_a_create_include_contact_defaults() -> None:
    values = desired(debtor(), for_create=True)
    assert values["name"] == "Ngāti Whātua Ōrākei O'Brien Ltd"
    assert values["address"] == "1 Queen St"
    assert values["phone"] == "09 123 4567"
    assert values["website"] == "https://www.kiwi.nz"
    assert values["domain"] == "kiwi.nz"


def test_overdue_figures_come_from_open_transactions() -> None:
    values = desired_company_properties(
        debtor(),
        [invoice(TODAY - timedelta(days=40), "100.10"), invoice(TODAY, "5")],
        TODAY,
        NOW,
        CONFIG,
        for_create=False,
    )
    assert values["accredo_overdue_total"] == "100.10"
    assert values["accredo_days_overdue"] == "40"
    assert values["accredo_credit_status"] == "overdue_30"


def test_generic_email_domain_not_used_for_new_company() -> None:
    values = desired(debtor(WebAddress=None, EmailAddress="bob@xtra.co.nz"), for_create=True)
    assert values["domain"] == ""


def test_bad_values_collected_per_field() -> None:
    config = parse_config(
        '[[company_fields]]\nhubspot = "name"\naccredo = "CustomerName"\nmaster = "accredo"\n'
        'transform = "text"\nmax_length = 10\n'
        '[[company_fields]]\nhubspot = "accredo_stop_credit"\naccredo = "Z_Stop"\n'
        'master = "accredo"\ntransform = "bool"\n',
        "x",
    )
    customer = debtor(Z_Stop="yes")
    with pytest.raises(DesiredValuesError) as info:
        desired_company_properties(customer, [], TODAY, NOW, config, for_create=False)
    assert {e.field for e in info.value.errors} == {"name", "accredo_stop_credit"}
    assert "KIWI01" in str(info.value)


def test_hubspot_mastered_rules_are_not_written_to_hubspot() -> None:
    config = parse_config(
        '[[company_fields]]\nhubspot = "industry"\naccredo = "Category1"\nmaster = "hubspot"\n'
        'transform = "text"\n',
        "x",
    )
    values = desired_company_properties(
        debtor(Category1="RETAIL"), [], TODAY, NOW, config, for_create=True
    )
    assert "industry" not in values


def test_plan_sends_only_changes_and_stamps_synced_at() -> None:
    shadow = {"a": "1", "b": "2", "accredo_last_synced_at": "old"}
    want = {"a": "1", "b": "3", "c": "", "accredo_last_synced_at": "new"}
    assert plan_company_update(want, shadow) == {"b": "3", "accredo_last_synced_at": "new"}


def test_nothing_changed_sends_nothing_even_with_a_new_clock() -> None:
    first = desired(debtor())
    shadow = plan_company_update(first, {})
    assert plan_company_update(desired(debtor(), now=LATER), shadow) == {}


def test_clearing_a_value_is_sent() -> None:
    shadow = {"accredo_last_payment_date": "2026-01-01"}
    assert plan_company_update({"accredo_last_payment_date": ""}, shadow) == {
        "accredo_last_payment_date": ""
    }


shadow_values = st.dictionaries(
    st.sampled_from(["a", "b", "c", "accredo_last_synced_at"]),
    st.sampled_from(["", "1", "2.00", "ok"]),
)


@given(desired_values=shadow_values, shadow=shadow_values)
def test_plan_is_idempotent(desired_values: dict[str, str], shadow: dict[str, str]) -> None:
    plan = plan_company_update(desired_values, shadow)
    new_shadow = {**shadow, **plan}
    assert plan_company_update(desired_values, new_shadow) == {}
    # every planned value is the desired one
    for name, value in plan.items():
        assert desired_values[name] == value


@given(
    balance=st.decimals(min_value=D("-1e7"), max_value=D("1e7"), places=3),
    limit=st.decimals(min_value=D(0), max_value=D("1e7"), places=2),
    name=st.text(max_size=80),
    stop=st.booleans(),
)
def test_plan_of_a_plan_against_its_own_shadow_is_empty(
    balance: Decimal, limit: Decimal, name: str, stop: bool
) -> None:
    customer = debtor(BalanceTotal=balance, CreditLimit=limit, CustomerName=name, StopCredit=stop)
    values = desired(customer, for_create=True)
    plan = plan_company_update(values, {})
    assert plan_company_update(desired(customer, for_create=True, now=LATER), plan) == {}


def match(code: str, company_id: str | None, via: Via = "nzbn") -> MatchResult:
    return MatchResult(code, company_id, via, (company_id,) if company_id else ())


def run(
    matches: list[MatchResult],
    customers: list[ARCustomer],
    shadows: Mapping[str, Mapping[str, str]] | None = None,
) -> Plans:
    return plan_companies(matches, {c.CustomerCode: c for c in customers}, shadows or {}, now=NOW)


def test_plan_companies_sorts_creates_updates_unchanged_problems() -> None:
    same = debtor("SAME1")
    same_shadow = plan_company_update(desired(same), {})
    customers = [
        debtor("NEW1"),
        debtor("UPD1"),
        same,
        debtor("BAD1", CustomerName="x" * 70_000),
    ]
    matches = [
        match("NEW1", None, "new"),
        match("UPD1", "11"),
        match("SAME1", "12", "link"),
        MatchResult("AMB1", None, "ambiguous", ("5", "6"), "NZBN 1 is on 2 companies"),
        match("BAD1", None, "new"),
        match("GONE1", "13"),
        match("NEW1", None, "new"),  # a duplicate is planned once
    ]
    plans = plan_companies(
        matches, {c.CustomerCode: c for c in customers}, {"SAME1": same_shadow}, now=LATER
    )
    assert [p.key for p in plans.creates] == ["NEW1"]
    create = plans.creates[0]
    assert create.is_create and create.remote_id is None
    assert create.values["name"] == "Ngāti Whātua Ōrākei O'Brien Ltd"
    assert "accredo_last_payment_date" not in create.values  # empty: not sent on create
    assert [(p.key, p.remote_id) for p in plans.updates] == [("UPD1", "11")]
    assert "name" not in plans.updates[0].values
    assert plans.unchanged == ["SAME1"]
    problems = {(p.key, p.field) for p in plans.problems}
    assert problems == {("AMB1", "match"), ("BAD1", "name"), ("GONE1", "record")}
    amb = next(p for p in plans.problems if p.key == "AMB1")
    assert "5, 6" in amb.reason
    bad = next(p for p in plans.problems if p.key == "BAD1")
    assert "longer than" in bad.reason
    gone = next(p for p in plans.problems if p.key == "GONE1")
    assert gone.reason == "debtor not found in Accredo"


def test_plan_company_single() -> None:
    values = desired(debtor())
    target = target_of(match("KIWI01", "9"))
    plan = plan_record(target, values, {}, SYNCED_AT_PROPERTY)
    assert plan is not None and not plan.is_create and plan.remote_id == "9"
    assert plan_record(target, values, plan.values, SYNCED_AT_PROPERTY) is None
    with pytest.raises(ValueError, match="ambiguous"):
        plan_record(Target("X", None, "ambiguous"), values, {}, SYNCED_AT_PROPERTY)


def test_matched_company_first_sync_claims_it_with_the_code() -> None:
    plans = run([match("KIWI01", "77")], [debtor()])
    (update,) = plans.updates
    assert update.values["accredo_customer_code"] == "KIWI01"
    assert update.values["accredo_last_synced_at"] == "2026-04-05T01:30:00.000Z"


# -- plain values: "not read" is not "cleared" -------------------------------------------------

TO_ACCREDO = parse_config(
    '[[company_fields]]\nhubspot = "industry"\naccredo = "Z_Industry"\nmaster = "hubspot"\n'
    'transform = "text"\n'
    '[[company_fields]]\nhubspot = "accredo_credit_limit"\naccredo = "CreditLimit"\n'
    'master = "accredo"\ntransform = "money"\n',
    "x",
)
#: The HubSpot-mastered rule, compiled to write Accredo.
INDUSTRY_RULES = RuleSet(
    compile_rules(TO_ACCREDO.company_rules("hubspot"), "accredo", TO_ACCREDO.tz)
)
LINKED = Target("KIWI01", "KIWI01", "link")
SHADOW = {"KIWI01": {"Z_Industry": "Retail"}}


def plan_industry(values: dict[str, object]) -> Plans:
    return plan_records(INDUSTRY_RULES, [LINKED], {"KIWI01": values}, SHADOW, now=NOW)


@pytest.mark.parametrize("values", [{}, {"industry": ABSENT}])
def test_a_hubspot_value_not_read_plans_nothing(values: dict[str, object]) -> None:
    plans = plan_industry(values)
    assert (plans.updates, plans.unchanged) == ([], ["KIWI01"])
    assert desired_values("KIWI01", values, INDUSTRY_RULES, NOW, for_create=True) == {}


@pytest.mark.parametrize("cleared", [None, ""])
def test_a_hubspot_value_cleared_plans_a_clear(cleared: object) -> None:
    (update,) = plan_industry({"industry": cleared}).updates
    assert update.values == {"Z_Industry": ""}
    assert update.remote_id == "KIWI01"


def test_a_hubspot_value_changed_is_planned_for_the_accredo_field() -> None:
    (update,) = plan_industry({"industry": "Farming", "accredo_credit_limit": "1"}).updates
    assert update.values == {"Z_Industry": "Farming"}  # the Accredo-mastered rule is not here


@given(
    st.dictionaries(
        st.sampled_from(["industry", "other"]),
        st.one_of(st.just(ABSENT), st.none(), st.text(max_size=5)),
    )
)
def test_absent_values_never_reach_a_plan(values: dict[str, object]) -> None:
    plans = plan_industry(values)
    planned = {name for plan in plans.updates for name in plan.values}
    if values.get("industry", ABSENT) is ABSENT:
        assert planned == set()
    else:
        assert planned <= {"Z_Industry"}


def test_a_hubspot_answer_without_the_property_is_absent_not_cleared() -> None:
    answer: dict[str, str | None] = {"industry": None, "name": "Kiwi"}
    assert values_read(answer, ["industry", "name"]) == {"industry": None, "name": "Kiwi"}
    read = values_read({"name": "Kiwi"}, ["industry", "name"])
    assert read == {"industry": ABSENT, "name": "Kiwi"}
    assert plan_industry(read).updates == []  # not read: Accredo's value stays
    (update,) = plan_industry(values_read(answer, ["industry"])).updates
    assert update.values == {"Z_Industry": ""}  # read, and empty: cleared
