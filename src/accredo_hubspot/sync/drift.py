"""Drift: where the side written no longer holds what its master says (pure).

``accredo-hubspot reconcile`` reads both sides now and compares, field by field, only what
the master owns: the values the mapping's rules give from the master's record against the
values the other side holds. Create-only rules (a new company's name and domain, which HubSpot
users own afterwards) and the write stamp are not compared. Two numbers that are equal are no
drift however they are written (``1500`` and ``1500.00``); an empty value and a missing one
are the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from accredo_hubspot.store import Side
from accredo_hubspot.sync.planner import DesiredValuesError, RuleSet, desired_values
from accredo_hubspot.sync.records import Values


@dataclass(frozen=True, slots=True)
class Drift:
    """One field whose value on ``side`` is not its master's: ``expected`` (the master's,
    mapped) against ``actual`` (what ``side`` holds; ``None``: empty)."""

    side: Side
    record: str
    field: str
    expected: str
    actual: str | None

    def as_json(self) -> dict[str, str | None]:
        return {
            "side": self.side,
            "record": self.record,
            "field": self.field,
            "expected": self.expected,
            "actual": self.actual,
        }


@dataclass
class DriftReport:
    """What a comparison found: every drifted field, and the records it could not compare."""

    drift: list[Drift] = field(default_factory=list)
    compared: int = 0
    unlinked: list[str] = field(default_factory=list)  # in the source, not linked yet
    missing: list[str] = field(default_factory=list)  # linked, but gone from the side written
    unmapped: list[str] = field(default_factory=list)  # values that cannot be mapped

    def counts(self) -> dict[str, int]:
        """Drifted records per field, most first."""
        return dict(Counter(d.field for d in self.drift).most_common())

    def records(self) -> list[str]:
        return list(dict.fromkeys(d.record for d in self.drift))


def same_value(expected: str, actual: str | None) -> bool:
    """Whether ``actual`` holds ``expected``: equal text, or equal numbers."""
    have = actual or ""
    if have == expected:
        return True
    try:
        return Decimal(have) == Decimal(expected)
    except InvalidOperation:
        return False


def compared_fields(rules: RuleSet) -> list[str]:
    """The fields a comparison looks at: the key field and every rule written always."""
    names = [rules.key_field] if rules.key_field else []
    names += [rule.target for rule in rules.rules if not rule.create_only]
    return list(dict.fromkeys(names))


def record_drift(
    side: Side,
    key: str,
    values: Values,
    actual: Mapping[str, str | None],
    rules: RuleSet,
    now: datetime,
) -> list[Drift]:
    """The drifted fields of one record (``DesiredValuesError`` if its values cannot be
    mapped: that record is a dead letter's business, not drift)."""
    desired = desired_values(key, values, rules, now, for_create=False)
    return [
        Drift(side, key, name, desired[name], actual.get(name))
        for name in compared_fields(rules)
        if name in desired and not same_value(desired[name], actual.get(name))
    ]


def compare(
    report: DriftReport,
    side: Side,
    records: Mapping[str, Values],
    actual: Mapping[str, Mapping[str, str | None] | None],
    rules: RuleSet,
    now: datetime,
) -> list[str]:
    """Compare ``records`` (key -> the master's values) with ``actual`` (key -> what the side
    written holds; a key left out is not linked, ``None`` is gone) into ``report``; returns
    the keys that drifted."""
    drifted: list[str] = []
    for key, values in records.items():
        if key not in actual:
            report.unlinked.append(key)
            continue
        held = actual[key]
        if held is None:
            report.missing.append(key)
            continue
        report.compared += 1
        try:
            found = record_drift(side, key, values, held, rules, now)
        except DesiredValuesError:
            report.unmapped.append(key)
            continue
        if found:
            report.drift.extend(found)
            drifted.append(key)
    return drifted
