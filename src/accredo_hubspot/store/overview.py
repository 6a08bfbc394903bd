"""The reads behind the status page and the metrics: the queue per direction, the last sync
per direction, recent writes, and the open dead letters apart from the ambiguous matches.

Every query here is cheap on a large store: the queue is small, recent writes are a range of
the audit log's ids (``audit.first_id_since``), and the letters are limited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, func, select

from accredo_hubspot.store import audit, schema
from accredo_hubspot.store.models import (
    DIRECTIONS,
    MATCH_FIELD,
    DeadLetterRow,
    Direction,
    QueueState,
    Side,
)

#: The meta key holding when a batch of a direction was last recorded (``.to_hubspot``, ...).
LAST_SYNC_KEY_PREFIX = "store.last_sync_at."


def last_sync_key(direction: Direction) -> str:
    return f"{LAST_SYNC_KEY_PREFIX}{direction}"


def queues(conn: Connection, now: datetime) -> dict[Direction, QueueState]:
    """Depth and oldest wait of each direction's queue (every direction, empty ones too)."""
    q = schema.work_queue.c
    rows = conn.execute(
        select(q.direction, func.count(), func.min(q.first_enqueued_at)).group_by(q.direction)
    )
    found = {direction: (int(count), _aware(oldest)) for direction, count, oldest in rows}
    out: dict[Direction, QueueState] = {}
    for direction in sorted(DIRECTIONS | set(found)):
        count, oldest = found.get(direction, (0, None))
        age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
        out[cast(Direction, direction)] = QueueState(count, age)
    return out


def last_syncs(conn: Connection) -> dict[Direction, datetime]:
    """When a batch of each direction was last recorded (directions never synced left out)."""
    meta = schema.meta.c
    keys = [last_sync_key(cast(Direction, d)) for d in sorted(DIRECTIONS)]
    rows = conn.execute(select(meta.key, meta.value).where(meta.key.in_(keys)))
    return {
        cast(Direction, key.removeprefix(LAST_SYNC_KEY_PREFIX)): datetime.fromisoformat(value)
        for key, value in rows
    }


def writes_since(conn: Connection, since: datetime) -> dict[Side, int]:
    """Records written to each side since ``since`` (audit entries: one per record write)."""
    entries = schema.audit_log.c
    recent = (entries.id >= audit.first_id_since(conn, since), entries.at >= since)
    rows = conn.execute(select(entries.side, func.count()).where(*recent).group_by(entries.side))
    return {cast(Side, side): int(count) for side, count in rows}


def open_letters(conn: Connection, *, matches: bool, limit: int) -> tuple[list[DeadLetterRow], int]:
    """Open dead letters, oldest first (up to ``limit``), and how many there are: those of
    ambiguous matches (``matches``) or all the others."""
    table = schema.dead_letters
    c = table.c
    kind = c.field == MATCH_FIELD if matches else c.field.is_(None) | (c.field != MATCH_FIELD)
    where = (c.resolved_at.is_(None), kind)
    count = int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
    rows = conn.execute(select(table).where(*where).order_by(c.id).limit(limit))
    return [dead_letter_row(row) for row in rows], count


def dead_letter_row(row: Any) -> DeadLetterRow:
    """A ``dead_letters`` row as the store returns it."""
    return DeadLetterRow(
        id=row.id,
        created_at=row.created_at,
        record_type=row.record_type,
        record_key=row.record_key,
        side=cast(Side, row.side),
        field=row.field,
        reason=row.reason,
        payload=row.payload,
        resolved_at=row.resolved_at,
    )


def _aware(value: datetime | str | None) -> datetime | None:
    """min() of a timestamp column: SQLite returns the stored text, naive UTC either way."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
