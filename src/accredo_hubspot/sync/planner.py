"""Planning writes: from a record's current values to the fewest changes on the side written.

Pure: no I/O, no clock (``now`` is an argument) and no wire models: a record is plain values
(``sync.records``). The desired values come from the spec's rules (one master per field); the
plan is what differs from the last-synced shadow of the side written, so a record whose values
already match sends nothing (DESIGN "The flow of a change"; invariant 2, no echo loops). A
value that was not read (``ABSENT``) plans nothing for its field, so a HubSpot property that
was simply not read never blanks an Accredo field; one read empty plans a clear. A record whose
values cannot be transformed becomes a ``PlanProblem`` for the dead-letter list while the
others are planned (invariant 5).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.mapping.accredo_fields import AccredoField, fit_accredo
from accredo_hubspot.mapping.config import FieldRule
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
    sales_person,
    text,
)
from accredo_hubspot.store import MATCH_FIELD, Side
from accredo_hubspot.sync.records import ABSENT, AMBIGUOUS, Target, Values

#: ``PlanProblem.field`` for problems that concern the whole record rather than one field
#: (``MATCH_FIELD``, the store's name for an ambiguous match, is the other).
RECORD_FIELD = "record"

Transform = Callable[[object], str]


class DesiredValuesError(ConnectorError):
    """Some of a record's values cannot be written; ``errors`` has one entry per field."""

    def __init__(self, key: str, errors: Sequence[TransformError], partial: dict[str, str]):
        self.key = key
        self.errors = tuple(errors)
        self.partial = partial
        fields = ", ".join(error.field for error in self.errors)
        super().__init__(f"record {key}: cannot transform {fields}")


@dataclass(frozen=True, slots=True)
class Rule:
    """One mapped field in the direction written: ``target`` (on the side written) gets
    ``transform`` of the source value ``source``; ``create_only`` rules only on creates."""

    target: str
    source: str
    transform: Transform
    create_only: bool = False


@dataclass(frozen=True)
class RuleSet:
    """What the planner needs of a record type's mapping.

    ``key_field`` (if any) is written with the record's key in every plan (the unique
    property a create is upserted on, invariant 3). ``stamp`` (if any) gets ``now`` whenever
    something else changes, and never alone. ``missing`` is the dead-letter reason of a
    target whose source record was not found. ``partial``: a record some of whose values
    cannot be transformed is still planned with the others (each bad field a problem);
    otherwise it is not planned at all.
    """

    rules: tuple[Rule, ...]
    key_field: str | None = None
    stamp: str | None = None
    missing: str = "record not found in its source"
    partial: bool = False

    @property
    def managed(self) -> frozenset[str]:
        """The fields the pipeline writes itself, which alone are no write."""
        return frozenset(f for f in (self.key_field, self.stamp) if f is not None)


@dataclass(frozen=True)
class PlanProblem:
    """Why one record (or one of its fields) cannot be written: a dead-letter entry."""

    key: str
    field: str
    reason: str
    candidates: tuple[str, ...] = ()  # an ambiguous match's candidates


@dataclass(frozen=True)
class RecordPlan:
    """The values to write for one record: a create (no id yet) or an update of ``target``."""

    target: Target
    values: dict[str, str]

    @property
    def key(self) -> str:
        return self.target.key

    @property
    def remote_id(self) -> str | None:
        return self.target.remote_id

    @property
    def is_create(self) -> bool:
        return self.target.remote_id is None


@dataclass
class Plans:
    """Every target of a batch lands in exactly one of these."""

    creates: list[RecordPlan] = field(default_factory=list)
    updates: list[RecordPlan] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # keys with nothing to send
    problems: list[PlanProblem] = field(default_factory=list)


def transform_of(rule: FieldRule, tz: ZoneInfo, name: str | None = None) -> Transform:
    """``rule.transform`` as a function of the value alone (the rule's options bound); its
    errors name ``name`` (default: the HubSpot property)."""
    name = name or rule.hubspot
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
        case "owner":
            return functools.partial(sales_person, field=name)
    transform = rule.transform

    def unknown(value: object) -> str:
        raise TransformError(name, value, f"unknown transform {transform!r}")

    return unknown


def transform_value(rule: FieldRule, value: object, tz: ZoneInfo) -> str:
    """Apply ``rule.transform`` to ``value``; errors name the HubSpot property."""
    return transform_of(rule, tz)(value)


def compile_rules(
    field_rules: Sequence[FieldRule],
    side: Side,
    tz: ZoneInfo,
    accredo_fields: Mapping[str, AccredoField] | None = None,
) -> tuple[Rule, ...]:
    """Field rules as the planner uses them to write ``side``: HubSpot properties from
    Accredo fields, or Accredo fields from HubSpot properties. Pass only the rules that the
    other side masters (``MappingConfig.company_rules``). Writing Accredo, a field named in
    ``accredo_fields`` also gets Accredo's length and character checks (``fit_accredo``)."""
    compiled: list[Rule] = []
    for rule in field_rules:
        if side == "hubspot":
            target, source = rule.hubspot, rule.accredo
        else:
            target, source = rule.accredo, rule.hubspot
        limits = (accredo_fields or {}).get(target) if side == "accredo" else None
        transform = transform_of(rule, tz, target) if limits is None else _fitted(rule, tz, limits)
        compiled.append(Rule(target, source, transform, rule.write == "create"))
    return tuple(compiled)


def _fitted(rule: FieldRule, tz: ZoneInfo, limits: AccredoField) -> Transform:
    """The rule's transform, then Accredo's limits for its field (the length is checked, or
    cut, there: with the field's limit and the rule's ``max_length`` and ``truncate``)."""
    base = transform_of(replace(rule, max_length=None), tz, rule.accredo)

    def fitted(value: object) -> str:
        return fit_accredo(
            base(value), rule.accredo, limits, max_length=rule.max_length, truncate=rule.truncate
        )

    return fitted


def desired_values(
    key: str,
    values: Values,
    rules: RuleSet,
    now: datetime,
    *,
    for_create: bool,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The values the mastered fields should have now on the side written.

    Create-only rules are included only ``for_create``; a rule whose source value is
    ``ABSENT`` is left out; a rule whose target is in ``overrides`` (an operator's corrected
    value, ``dead-letters replay --set``) takes that value instead. Includes
    ``rules.key_field`` (the key) and ``rules.stamp`` (``now``). Raises
    ``DesiredValuesError`` listing every field that failed, with the values that did not.
    """
    desired = {rules.key_field: key} if rules.key_field else {}
    errors: list[TransformError] = []
    for rule in rules.rules:
        if rule.create_only and not for_create:
            continue
        if overrides and rule.target in overrides:
            desired[rule.target] = overrides[rule.target]
            continue
        value = values.get(rule.source, ABSENT)
        if value is ABSENT:
            continue
        try:
            desired[rule.target] = rule.transform(value)
        except TransformError as error:
            errors.append(error)
    if errors:
        raise DesiredValuesError(key, errors, desired)
    if rules.stamp:
        desired[rules.stamp] = datetime_value(now, rules.stamp)
    return desired


def plan_update(
    desired: Mapping[str, str], shadow: Mapping[str, str], stamp: str | None = None
) -> dict[str, str]:
    """Only the values that differ from the last-synced shadow.

    A field missing from the shadow counts as empty, so empty values are never sent for a
    field never written. ``stamp`` is not compared; it is added only when something else
    changes, so re-running with nothing changed sends nothing.
    """
    changed = {
        name: value
        for name, value in desired.items()
        if name != stamp and (shadow.get(name) or "") != value
    }
    if changed and stamp is not None and stamp in desired:
        changed[stamp] = desired[stamp]
    return changed


def plan_record(
    target: Target, desired: Mapping[str, str], shadow: Mapping[str, str], stamp: str | None
) -> RecordPlan | None:
    """One record's plan given its target, desired values and shadow; ``None``: nothing to
    send. ``desired`` must have been computed ``for_create`` when the target is new."""
    if target.via == AMBIGUOUS:
        raise ValueError(f"record {target.key}: an ambiguous match cannot be planned")
    values = plan_update(desired, {} if target.remote_id is None else shadow, stamp)
    return RecordPlan(target, values) if values else None


def problems_of(error: DesiredValuesError) -> list[PlanProblem]:
    return [
        PlanProblem(error.key, e.field, f"{e.reason} (value {e.value!r})") for e in error.errors
    ]


def plan_records(
    rules: RuleSet,
    targets: Sequence[Target],
    values: Mapping[str, Values],
    shadows: Mapping[str, Mapping[str, str]],
    *,
    now: datetime,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> Plans:
    """Plan every target: creates, updates, the unchanged, and the problems.

    ``values``, ``shadows`` and ``overrides`` (values an operator set) are keyed by record
    key. A record appearing twice is planned
    once (a duplicate id in one HubSpot batch rejects the whole batch, pitfall 9).
    """
    plans = Plans()
    seen: set[str] = set()
    for target in targets:
        key = target.key
        if key in seen:
            continue
        seen.add(key)
        if target.via == AMBIGUOUS:
            candidates = ", ".join(target.candidates)
            reason = f"ambiguous match ({target.reason}); candidates: {candidates}"
            plans.problems.append(PlanProblem(key, MATCH_FIELD, reason, target.candidates))
            continue
        record = values.get(key)
        if record is None:
            plans.problems.append(PlanProblem(key, RECORD_FIELD, rules.missing))
            continue
        try:
            desired = desired_values(
                key,
                record,
                rules,
                now,
                for_create=target.remote_id is None,
                overrides=(overrides or {}).get(key),
            )
        except DesiredValuesError as error:
            plans.problems.extend(problems_of(error))
            if not rules.partial or not set(error.partial) - rules.managed:
                continue
            desired = error.partial
        plan = plan_record(target, desired, shadows.get(key, {}), rules.stamp)
        if plan is None:
            plans.unchanged.append(key)
        elif plan.is_create:
            plans.creates.append(plan)
        else:
            plans.updates.append(plan)
    return plans
