"""How the operating commands show what they found: rich tables for people (pure: data in,
``Table`` out; the command prints it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from accredo_hubspot.store import AmbiguousMatch, AuditEntry, DeadLetterRow
from accredo_hubspot.sync import provenance
from accredo_hubspot.sync.contacts_rollout import ContactsQueued
from accredo_hubspot.sync.plan_rows import PlanRow
from accredo_hubspot.sync.reconcile import ReconcileReport


def _row(table: Table, *cells: str) -> None:
    """A row of plain text: values from the records are never read as rich markup."""
    table.add_row(*(Text(cell) for cell in cells))


def _shown(value: str | None) -> str:
    return "-" if value is None or value == "" else value


def plan_table(rows: Sequence[PlanRow]) -> Table:
    """The writes of a dry run, one line per field."""
    records = len({(row.side, row.record) for row in rows})
    table = Table(title=f"plan: {len(rows)} field writes to {records} records")
    for column in ("record", "side", "action", "field", "old", "new", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        _row(
            table,
            row.record,
            row.side,
            row.action,
            row.field,
            _shown(row.old),
            _shown(row.new),
            row.why,
        )
    return table


def contacts_queued(queued: ContactsQueued, *, planned: bool = False) -> str:
    """The contacts a backfill queued for live sync (``planned``: would queue, for ``plan``),
    in the same words for both, so the plan reads as the backfill will."""
    verb = "would be queued" if planned else "queued"
    return (
        f"contacts: {queued.to_accredo} of the linked companies {verb} for Accredo, "
        f"{queued.to_hubspot} of the linked debtors for HubSpot (run brings them across)"
    )


def reconcile_json(report: ReconcileReport, *, repaired: bool) -> dict[str, Any]:
    """``reconcile --json``: counts per field, every drifted field, what could not be
    compared and, with ``--repair``, what was written."""
    out: dict[str, Any] = {
        "compared": report.compared,
        "drifted_records": len(report.records()),
        "counts": report.counts(),
        "drift": [d.as_json() for d in report.drift],
        "unlinked": report.unlinked,
        "missing": report.missing,
        "unmapped": report.unmapped,
    }
    if repaired:
        out["repaired"] = {
            "written": report.repaired.writes,
            "calls": report.repaired.calls,
            "failed": report.repaired.failures,
        }
    return out


def reconcile_tables(report: ReconcileReport, *, repaired: bool) -> list[Table]:
    """The drift per field, then every drifted field with both values."""
    title = f"reconcile: {report.compared} records compared, {len(report.records())} drifted" + (
        f", {report.repaired.writes} repaired" if repaired else ""
    )
    counts = Table(title=title)
    counts.add_column("field")
    counts.add_column("records", justify="right")
    for name, count in report.counts().items():
        _row(counts, name, str(count))
    for label, keys in (
        ("not linked yet (backfill links them)", report.unlinked),
        ("linked, but gone from the other side", report.missing),
        ("values that cannot be mapped (see dead-letters)", report.unmapped),
    ):
        if keys:
            _row(counts, f"({label})", str(len(keys)))
    drift = Table(title="drift")
    for column in ("record", "side", "field", "master's value", "value found"):
        drift.add_column(column, overflow="fold")
    for d in report.drift:
        _row(drift, d.record, d.side, d.field, _shown(d.expected), _shown(d.actual))
    return [counts, drift] if report.drift else [counts]


def explain_table(code: str, entries: Sequence[AuditEntry], field: str | None) -> Table:
    """Each field's newest write (or one field's every write), then operators' actions."""
    rows = provenance.history(entries, field) if field else provenance.origins(entries)
    what = f"{code} {field}" if field else code
    table = Table(title=f"where the values of {what} came from")
    for column in ("field", "side", "old", "new", "source", "read", "written", "call"):
        table.add_column(column, overflow="fold")
    for o in rows:
        _row(
            table,
            o.field,
            o.side,
            _shown(o.old),
            _shown(o.new),
            o.source,
            _when(o.read_at),
            _when(o.written_at),
            o.call or "-",
        )
    for action in provenance.actions(entries):
        _row(table, "(action)", action.side, "", "", action.reason, "", _when(action.at), "")
    return table


def explain_json(entries: Sequence[AuditEntry], field: str | None) -> list[dict[str, Any]]:
    """``explain --json``: the same rows; operators' actions last, with ``field`` null."""
    rows = provenance.history(entries, field) if field else provenance.origins(entries)
    out: list[dict[str, Any]] = [
        {
            "field": o.field,
            "side": o.side,
            "old": o.old,
            "new": o.new,
            "source": o.source,
            "read_at": _iso(o.read_at),
            "written_at": _iso(o.written_at),
            "call": o.call,
            "reason": o.reason,
        }
        for o in rows
    ]
    out += [
        {
            "field": None,
            "side": a.side,
            "old": None,
            "new": None,
            "source": a.source,
            "read_at": None,
            "written_at": _iso(a.at),
            "call": None,
            "reason": a.reason,
        }
        for a in provenance.actions(entries)
    ]
    return out


def letters_table(letters: Sequence[DeadLetterRow]) -> Table:
    table = Table(title=f"{len(letters)} open dead letters")
    for column in ("id", "since", "record", "side", "field", "reason"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        _row(
            table,
            str(letter.id),
            _when(letter.created_at),
            letter.record_key,
            letter.side,
            letter.field or "-",
            letter.reason,
        )
    return table


def letter_table(letter: DeadLetterRow) -> Table:
    table = Table(title=f"dead letter {letter.id}", show_header=False)
    _row(table, "record", f"{letter.record_type} {letter.record_key}")
    _row(table, "side", letter.side)
    _row(table, "field", letter.field or "-")
    _row(table, "reason", letter.reason)
    _row(table, "since", _when(letter.created_at))
    _row(table, "closed", _when(letter.resolved_at) if letter.resolved_at else "no: open")
    _row(table, "payload", json.dumps(letter.payload, indent=2, ensure_ascii=False))
    return table


def matches_table(matches: Sequence[AmbiguousMatch]) -> Table:
    table = Table(title=f"{len(matches)} ambiguous matches waiting for a decision")
    for column in ("record", "candidates", "why", "since"):
        table.add_column(column, overflow="fold")
    for match in matches:
        _row(
            table,
            match.record_key,
            ", ".join(match.candidates) or "-",
            match.reason,
            _when(match.since),
        )
    return table


def _when(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
