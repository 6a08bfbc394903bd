"""Values the state store takes and returns."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

Side = Literal["hubspot", "accredo"]
SIDES: frozenset[str] = frozenset(get_args(Side))


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be one of {sorted(SIDES)}, not {side!r}")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record (or one field of it) that could not be written, kept for listing and replay."""

    record_key: str
    side: Side  # the side the write was meant for
    field: str | None
    reason: str
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_side(self.side)


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    """A stored dead letter: the letter with its id (for ``resolve_dead_letters``) and time."""

    id: int
    created_at: datetime
    record_key: str
    side: Side
    field: str | None
    reason: str
    payload: dict[str, Any]

    def letter(self) -> DeadLetter:
        """The dead letter as it was added, for a replay."""
        return DeadLetter(self.record_key, self.side, self.field, self.reason, self.payload)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One field written to one side: when, which record, old and new value, why."""

    at: datetime
    side: Side
    record_key: str
    remote_id: str | None
    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str

    def __post_init__(self) -> None:
        _check_side(self.side)


#: One row of an ``AuditBatch``: record key, remote id, field, old value, new value.
AuditRow = tuple[str, str | None, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class AuditBatch:
    """Audit entries that share a time, a side and a reason: one write step's fields.

    The same entries as a list of ``AuditEntry``, stored the same way; a backfill writes a
    million of them, so they travel as plain rows and the side is checked once.
    """

    at: datetime
    side: Side
    reason: str
    rows: list[AuditRow] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        _check_side(self.side)

    def __len__(self) -> int:
        return len(self.rows)

    def entries(self) -> list[AuditEntry]:
        """The rows as ``AuditEntry`` values."""
        return [AuditEntry(self.at, self.side, *row, self.reason) for row in self.rows]


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """What ``accredo-hubspot status`` shows."""

    links: int
    queue_depth: int
    cursors: dict[str, int]
    dead_letters: int
    last_error: str | None
    last_sync_at: datetime | None
    oldest_pending_age_s: float | None = None
