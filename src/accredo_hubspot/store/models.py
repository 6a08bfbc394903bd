"""Values the state store takes and returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

Side = Literal["hubspot", "accredo"]
SIDES: frozenset[str] = frozenset(get_args(Side))
#: Which way a queued record goes: the side it will be written to.
Direction = Literal["to_hubspot", "to_accredo"]
TO_HUBSPOT: Direction = "to_hubspot"
TO_ACCREDO: Direction = "to_accredo"
DIRECTIONS: frozenset[str] = frozenset(get_args(Direction))

#: The ``field`` of a dead letter that stands for an ambiguous match (a record with several
#: candidates on the other side, never linked or written until a person decides).
MATCH_FIELD = "match"

#: Field -> (old value, new value) of one record write.
Changes = Mapping[str, tuple[str | None, str | None]]


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be one of {sorted(SIDES)}, not {side!r}")


def direction_to(side: Side) -> Direction:
    """The queue direction of records written to ``side``."""
    return TO_HUBSPOT if side == "hubspot" else TO_ACCREDO


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record (or one field of it) that could not be written, kept for listing and replay."""

    record_type: str
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
    record_type: str
    record_key: str
    side: Side
    field: str | None
    reason: str
    payload: dict[str, Any]
    resolved_at: datetime | None = None

    def letter(self) -> DeadLetter:
        """The dead letter as it was added, for a replay."""
        return DeadLetter(
            self.record_type, self.record_key, self.side, self.field, self.reason, self.payload
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One record written to one side: when, which record, its fields' old and new values, why."""

    at: datetime
    side: Side
    record_type: str
    record_key: str
    remote_id: str | None
    changes: Changes
    reason: str
    source: str | None = None  # the change it carried: a DeltaID, a webhook event, ...
    read_at: datetime | None = None  # when the record written was read from its source
    call: str | None = None  # the call that wrote it

    def __post_init__(self) -> None:
        _check_side(self.side)


#: One row of an ``AuditBatch``: record key, remote id, field -> (old value, new value).
AuditRow = tuple[str, str | None, Changes]


@dataclass(frozen=True, slots=True)
class AuditBatch:
    """Audit entries that share a time, a side, a record type and a reason: one write step.

    The same entries as a list of ``AuditEntry``, stored the same way; a backfill writes tens
    of thousands of them, so they travel as plain rows and the side is checked once.
    """

    at: datetime
    side: Side
    record_type: str
    reason: str
    rows: list[AuditRow] = dataclasses.field(default_factory=list)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> its change
    calls: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> the call
    read_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_side(self.side)

    def __len__(self) -> int:
        return len(self.rows)

    def entries(self) -> list[AuditEntry]:
        """The rows as ``AuditEntry`` values."""
        return [
            AuditEntry(
                self.at,
                self.side,
                self.record_type,
                key,
                remote_id,
                changes,
                self.reason,
                self.sources.get(key),
                self.read_at,
                self.calls.get(key),
            )
            for key, remote_id, changes in self.rows
        ]


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A queued record: which way it goes, its record type and its key; a claimed one also
    says when its change was first seen (queued), for the sync's latency."""

    direction: Direction
    record_type: str
    key: str
    seen_at: datetime | None = dataclasses.field(default=None, compare=False)
    source: str | None = dataclasses.field(default=None, compare=False)  # what queued it

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}: {self.direction!r}")


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """An inbound event (a HubSpot webhook, say) as the inbox holds it."""

    id: int
    source: str
    event_id: str
    received_at: datetime
    payload: Any
    processed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AmbiguousMatch:
    """A record whose match is ambiguous, waiting for an operator (``matches resolve``): its
    open dead letter, the candidates and why."""

    letter_id: int
    record_type: str
    record_key: str
    candidates: tuple[str, ...]
    reason: str
    since: datetime


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


@dataclass(frozen=True, slots=True)
class QueueState:
    """The work queue of one direction: records waiting, and how long the oldest has."""

    depth: int
    oldest_age_s: float | None


@dataclass(frozen=True, slots=True)
class StoreOverview:
    """What the status page and the metrics read from the store, in one transaction.

    ``dead_letters`` and ``matches`` are the open letters, oldest first, up to the limit asked
    for; ``dead_letter_count`` and ``match_count`` count them all (matches are the letters whose
    field is ``MATCH_FIELD``, the dead letters the others). ``last_sync`` is when a batch of
    each direction was last recorded, ``writes`` the records written to each side since the
    time asked for (from the audit log, every process's).
    """

    queues: dict[Direction, QueueState]
    last_sync: dict[Direction, datetime]
    writes: dict[Side, int]
    cursors: dict[str, int]
    dead_letters: list[DeadLetterRow]
    dead_letter_count: int
    matches: list[DeadLetterRow]
    match_count: int
    last_error: str | None


#: The ``field`` of the dead letter that reports a HubSpot record deleted (archived) while
#: linked: the link is dropped, the letter keeps the Accredo key for a restore to link again.
DELETED_FIELD = "deleted"

#: What happened to a HubSpot record, as its links see it (``LinkChange.kind``).
LinkChangeKind = Literal["merge", "delete", "restore", "erase"]


@dataclass(frozen=True, slots=True)
class LinkChange:
    """A HubSpot record merged, deleted, restored or erased (GDPR), for the links to follow.

    ``hubspot_id`` is the record the event names: for a merge the survivor, ``merged_ids`` the
    ids merged into it (primary and others). ``source`` names the event, for the audit.
    """

    kind: LinkChangeKind
    record_type: str
    hubspot_id: str
    merged_ids: tuple[str, ...] = ()
    source: str | None = None
