"""Planning company writes: from a debtor's current state to the fewest HubSpot changes.

Pure: no I/O and no clock (``today`` and ``now`` are arguments). The desired values come from
the mapping (Accredo-mastered rules only); the plan is what differs from the last-synced shadow,
so a debtor whose values already match sends nothing (DESIGN "The flow of a change"; invariant 2,
no echo loops). A record whose values cannot be transformed becomes a ``PlanProblem`` for the
dead-letter list while the others are planned (invariant 5).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from accredo_hubspot.accredo.models import ARCustomer, ARTransaction
from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.config import FieldRule, MappingConfig
from accredo_hubspot.mapping.financials import compute_financials
from accredo_hubspot.mapping.identity import business_number, debtor_domain
from accredo_hubspot.mapping.properties import CUSTOMER_CODE_PROPERTY, SYNCED_AT_PROPERTY
from accredo_hubspot.mapping.transforms import (
    TransformError,
    bool_value,
    date_value,
    datetime_value,
    domain_value,
    enum_value,
    integer,
    money,
    number,
    percent,
    text,
)
from accredo_hubspot.sync.matcher import MatchResult, normalise_code

#: ``PlanProblem.field`` for problems that concern the whole record rather than one property.
MATCH_FIELD = "match"
RECORD_FIELD = "record"


class DesiredValuesError(ConnectorError):
    """Some of a debtor's values cannot be written; ``errors`` has one entry per property."""

    def __init__(self, code: str, errors: Sequence[TransformError], partial: dict[str, str]):
        self.code = code
        self.errors = tuple(errors)
        self.partial = partial
        fields = ", ".join(error.field for error in self.errors)
        super().__init__(f"debtor {code}: cannot transform {fields}")


@dataclass(frozen=True)
class PlanProblem:
    """Why one debtor (or one of its properties) cannot be written: a dead-letter entry."""

    code: str
    field: str
    reason: str


@dataclass(frozen=True)
class CompanyPlan:
    """The properties to write for one debtor: a create (no id yet) or an update."""

    code: str
    company_id: str | None
    properties: dict[str, str]
    is_create: bool


@dataclass
class CompanyPlans:
    """Every debtor of a run lands in exactly one of these."""

    creates: list[CompanyPlan] = field(default_factory=list)
    updates: list[CompanyPlan] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # codes with nothing to send
    problems: list[PlanProblem] = field(default_factory=list)


def derived_values(
    customer: ARCustomer,
    open_transactions: Sequence[ARTransaction],
    today: date,
    config: MappingConfig,
) -> dict[str, object]:
    """The ``derived.*`` values a rule can name (see ``mapping.config.DERIVED_VALUES``)."""
    financials = compute_financials(customer, open_transactions, today, config.near_limit_pct)
    return {
        "overdue_total": financials.overdue_total,
        "days_overdue": financials.days_overdue,
        "credit_status": financials.credit_status.value,
        "utilisation_pct": financials.utilisation_pct,
        "business_number": business_number(customer),
        "domain": debtor_domain(customer, config.generic_email_domains),
    }


def source_value(customer: ARCustomer, rule: FieldRule, derived: Mapping[str, object]) -> object:
    """The Accredo value a rule reads: a derived value, a model field, or an extra field."""
    if rule.is_derived:
        return derived[rule.derived_name]
    if rule.accredo in type(customer).model_fields:
        return getattr(customer, rule.accredo)
    value = (customer.model_extra or {}).get(rule.accredo)
    if isinstance(value, float):  # an extra field parsed without Decimal: keep its JSON digits
        return Decimal(repr(value))
    return value


def transform_value(rule: FieldRule, value: object, tz: ZoneInfo) -> str:
    """Apply ``rule.transform`` to ``value``; errors name the HubSpot property."""
    return transform_of(rule, tz)(value)


Transform = Callable[[object], str]


def transform_of(rule: FieldRule, tz: ZoneInfo) -> Transform:
    """``rule.transform`` as a function of the value alone (the rule's options bound)."""
    name = rule.hubspot
    match rule.transform:
        case "money":
            return functools.partial(money, field=name)
        case "number":
            return functools.partial(number, field=name, decimals=rule.decimals)
        case "integer":
            return functools.partial(integer, field=name)
        case "percent":
            return functools.partial(percent, field=name)
        case "date":
            return functools.partial(date_value, field=name, tz=tz)
        case "datetime":
            return functools.partial(datetime_value, field=name)
        case "bool":
            return functools.partial(bool_value, field=name)
        case "text":
            return functools.partial(text, field=name, max_length=rule.max_length)
        case "enum":
            return functools.partial(enum_value, options=rule.options, field=name)
        case "domain":
            return functools.partial(domain_value, field=name)
    transform = rule.transform

    def unknown(value: object) -> str:
        raise TransformError(name, value, f"unknown transform {transform!r}")

    return unknown


#: What one rule reads: a derived value's name, a declared ``ARCustomer`` field, or neither
#: (an extra field, read through ``source_value``).
_DERIVED, _FIELD, _OTHER = 0, 1, 2


@dataclass(frozen=True)
class _CompiledRule:
    hubspot: str
    kind: int
    name: str  # the derived value's name or the field's
    rule: FieldRule
    transform: Transform
    create_only: bool


def _compile(config: MappingConfig) -> tuple[_CompiledRule, ...]:
    tz = config.tz
    compiled: list[_CompiledRule] = []
    for rule in config.company_rules("accredo"):
        if rule.is_derived:
            kind, name = _DERIVED, rule.derived_name
        elif rule.accredo in ARCustomer.model_fields:
            kind, name = _FIELD, rule.accredo
        else:
            kind, name = _OTHER, rule.accredo
        compiled.append(
            _CompiledRule(
                rule.hubspot, kind, name, rule, transform_of(rule, tz), rule.write == "create"
            )
        )
    return tuple(compiled)


#: Compiled rules per configuration object (configurations are immutable and few).
_COMPILED: dict[int, tuple[MappingConfig, tuple[_CompiledRule, ...]]] = {}


def compiled_rules(config: MappingConfig) -> tuple[_CompiledRule, ...]:
    """The Accredo-mastered rules of ``config`` with their readers and transforms resolved
    once, instead of per debtor and rule."""
    entry = _COMPILED.get(id(config))
    if entry is None or entry[0] is not config:
        if len(_COMPILED) > 64:
            _COMPILED.clear()
        entry = _COMPILED[id(config)] = (config, _compile(config))
    return entry[1]


def desired_company_properties(
    customer: ARCustomer,
    open_transactions: Sequence[ARTransaction],
    today: date,
    now: datetime,
    config: MappingConfig,
    *,
    for_create: bool,
) -> dict[str, str]:
    """The HubSpot values the Accredo-mastered fields should have now.

    Create-only rules are included only ``for_create``. Always includes the customer code (the
    unique upsert key, invariant 3) and ``accredo_last_synced_at`` (``now``). Raises
    ``DesiredValuesError`` listing every property that failed, with the values that did not.
    """
    code = normalise_code(customer.CustomerCode)
    derived = derived_values(customer, open_transactions, today, config)
    desired = {CUSTOMER_CODE_PROPERTY: code}
    errors: list[TransformError] = []
    for rule in compiled_rules(config):
        if rule.create_only and not for_create:
            continue
        kind = rule.kind
        if kind == _FIELD:
            value = getattr(customer, rule.name)
        elif kind == _DERIVED:
            value = derived[rule.name]
        else:
            value = source_value(customer, rule.rule, derived)
        try:
            desired[rule.hubspot] = rule.transform(value)
        except TransformError as error:
            errors.append(error)
    if errors:
        raise DesiredValuesError(code, errors, desired)
    desired[SYNCED_AT_PROPERTY] = datetime_value(now, SYNCED_AT_PROPERTY)
    return desired


def plan_company_update(desired: Mapping[str, str], shadow: Mapping[str, str]) -> dict[str, str]:
    """Only the properties whose desired value differs from the last-synced shadow.

    A property missing from the shadow counts as empty, so empty values are never sent for a
    property never written. ``accredo_last_synced_at`` is not compared; it is added only when
    something else changes, so re-running with nothing changed sends nothing.
    """
    changed = {
        name: value
        for name, value in desired.items()
        if name != SYNCED_AT_PROPERTY and (shadow.get(name) or "") != value
    }
    if changed and SYNCED_AT_PROPERTY in desired:
        changed[SYNCED_AT_PROPERTY] = desired[SYNCED_AT_PROPERTY]
    return changed


def plan_company(
    match: MatchResult, desired: Mapping[str, str], shadow: Mapping[str, str]
) -> CompanyPlan | None:
    """One debtor's plan given its match, desired values and shadow; ``None``: nothing to send.

    ``desired`` must have been computed ``for_create`` when the match is ``new``.
    """
    if match.via == "ambiguous":
        raise ValueError(f"debtor {match.code}: an ambiguous match cannot be planned")
    is_create = match.company_id is None
    properties = plan_company_update(desired, {} if is_create else shadow)
    if not properties:
        return None
    return CompanyPlan(match.code, match.company_id, properties, is_create)


def problems_of(error: DesiredValuesError) -> list[PlanProblem]:
    return [
        PlanProblem(error.code, e.field, f"{e.reason} (value {e.value!r})") for e in error.errors
    ]


def plan_companies(
    matches: Sequence[MatchResult],
    customers: Mapping[str, ARCustomer],
    open_transactions: Mapping[str, Sequence[ARTransaction]],
    shadows: Mapping[str, Mapping[str, str]],
    *,
    today: date,
    now: datetime,
    config: MappingConfig,
) -> CompanyPlans:
    """Plan every matched debtor: creates, updates, the unchanged, and the problems.

    Keys of ``customers``, ``open_transactions`` and ``shadows`` are customer codes (upper
    case, as Accredo stores them). A debtor appearing twice is planned once (a duplicate id in
    one HubSpot batch rejects the whole batch, pitfall 9).
    """
    plans = CompanyPlans()
    seen: set[str] = set()
    for match in matches:
        if match.code in seen:
            continue
        seen.add(match.code)
        if match.via == "ambiguous":
            candidates = ", ".join(match.candidates)
            reason = f"ambiguous match ({match.reason}); candidates: {candidates}"
            plans.problems.append(PlanProblem(match.code, MATCH_FIELD, reason))
            continue
        customer = customers.get(match.code)
        if customer is None:
            reason = "debtor not found in Accredo"
            plans.problems.append(PlanProblem(match.code, RECORD_FIELD, reason))
            continue
        try:
            desired = desired_company_properties(
                customer,
                open_transactions.get(match.code, ()),
                today,
                now,
                config,
                for_create=match.company_id is None,
            )
        except DesiredValuesError as error:
            plans.problems.extend(problems_of(error))
            continue
        plan = plan_company(match, desired, shadows.get(match.code, {}))
        if plan is None:
            plans.unchanged.append(match.code)
        elif plan.is_create:
            plans.creates.append(plan)
        else:
            plans.updates.append(plan)
    return plans
