"""How the operating commands show what they found: rich tables for people (pure: data in,
``Table`` out; the command prints it)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from accredo_hubspot.sync.plan_rows import PlanRow


def _shown(value: str | None) -> str:
    return "-" if value is None or value == "" else value


def plan_table(rows: Sequence[PlanRow]) -> Table:
    """The writes of a dry run, one line per field."""
    records = len({(row.side, row.record) for row in rows})
    table = Table(title=f"plan: {len(rows)} field writes to {records} records")
    for column in ("record", "side", "action", "field", "old", "new", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.record, row.side, row.action, row.field, _shown(row.old), _shown(row.new), row.why
        )
    return table
