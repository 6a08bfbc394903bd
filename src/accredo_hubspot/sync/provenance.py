"""Where each value of a record came from, read from the audit log (pure).

Every record write leaves one audit entry: when it was written and in which call, when the
record was read, the change that caused it (``source``: a delta table and its ``DeltaID``, a
webhook event, ``reconcile``, an operator's action) and each field's old and new value. A
field's origin is the newest entry that wrote it; ``history`` is every entry that did.
Operators' actions (a dead letter replayed or discarded, a match resolved) are entries with no
fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from accredo_hubspot.store import AuditEntry, Side


@dataclass(frozen=True, slots=True)
class Origin:
    """One write of one field."""

    field: str
    side: Side
    old: str | None
    new: str | None
    source: str  # the change it carried, else the write's reason
    read_at: datetime | None
    written_at: datetime
    call: str | None
    reason: str


def _origin(entry: AuditEntry, name: str) -> Origin:
    old, new = entry.changes[name]
    return Origin(
        name,
        entry.side,
        old,
        new,
        entry.source or entry.reason,
        entry.read_at,
        entry.at,
        entry.call,
        entry.reason,
    )


def origins(entries: Sequence[AuditEntry]) -> list[Origin]:
    """Each field's newest write, by field name; ``entries`` newest first (as the store
    lists them)."""
    latest: dict[tuple[Side, str], Origin] = {}
    for entry in entries:
        for name in entry.changes:
            latest.setdefault((entry.side, name), _origin(entry, name))
    return sorted(latest.values(), key=lambda o: (o.side, o.field))


def history(entries: Sequence[AuditEntry], name: str) -> list[Origin]:
    """Every write of the field ``name``, newest first."""
    return [_origin(entry, name) for entry in entries if name in entry.changes]


def actions(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """The operators' actions on the record (entries without fields), newest first."""
    return [entry for entry in entries if not entry.changes]
