"""The work queue's SQL: coalescing enqueue, claims with an owner and a lease, completion.

A record is queued once per direction and record type (a burst of changes is one entry). A
claim takes entries that are unclaimed, whose lease ran out, or that the same owner already
holds (a worker picking up its own work after a failure). On PostgreSQL the claim reads with
``FOR UPDATE SKIP LOCKED``, so workers claiming at the same moment take different entries; on
SQLite the write transaction (``BEGIN IMMEDIATE``) serialises claims, and one worker is the rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Update, and_, delete, func, or_, select, update

from accredo_hubspot.store import schema
from accredo_hubspot.store.models import Direction, QueueEntry
from accredo_hubspot.store.sql import chunked, upsert

_QUEUE = schema.work_queue


def enqueue(
    conn: Connection,
    now: datetime,
    direction: Direction,
    record_type: str,
    keys: Sequence[str],
    reason: str,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Queue records; one already queued keeps its place and counts the new change.
    ``sources`` names the change behind each key (its audit entry's source)."""
    QueueEntry(direction, record_type, "")  # checks the direction
    rows = [
        {
            "direction": direction,
            "record_type": record_type,
            "record_key": key,
            "reason": reason,
            "first_enqueued_at": now,
            "last_enqueued_at": now,
            "enqueue_count": 1,
            "source": (sources or {}).get(key),
        }
        for key in dict.fromkeys(keys)
    ]
    upsert(
        conn,
        _QUEUE,
        rows,
        keys=["direction", "record_type", "record_key"],
        update=["reason", "last_enqueued_at", "source"],
        set_=lambda _new: {"enqueue_count": _QUEUE.c.enqueue_count + 1},
    )


def claim(
    conn: Connection,
    now: datetime,
    owner: str,
    limit: int,
    lease_s: float,
    *,
    direction: Direction | None = None,
    record_type: str | None = None,
) -> list[QueueEntry]:
    """Claim up to ``limit`` entries, oldest first, for ``owner`` until ``now + lease_s``."""
    if limit <= 0:
        return []
    q = _QUEUE.c
    claimable = or_(q.claimed_by.is_(None), q.claimed_by == owner, q.lease_expires_at < now)
    query = select(
        q.id, q.direction, q.record_type, q.record_key, q.first_enqueued_at, q.source
    ).where(claimable)
    if direction is not None:
        query = query.where(q.direction == direction)
    if record_type is not None:
        query = query.where(q.record_type == record_type)
    query = query.order_by(q.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    ids = [row.id for row in rows]
    expires = now + timedelta(seconds=lease_s)
    for chunk in chunked(ids):
        conn.execute(
            update(_QUEUE)
            .where(q.id.in_(chunk))
            .values(claimed_by=owner, lease_expires_at=expires, claimed_count=q.enqueue_count)
        )
    return [
        QueueEntry(
            row.direction, row.record_type, row.record_key, row.first_enqueued_at, row.source
        )
        for row in rows
    ]


def complete(conn: Connection, owner: str, entries: Iterable[QueueEntry]) -> None:
    """Take entries off the queue: unclaimed ones, and those ``owner`` claimed that were not
    enqueued again since; those that were are released for the next claim."""
    q = _QUEUE.c
    done = or_(
        q.claimed_by.is_(None),
        and_(q.claimed_by == owner, q.claimed_count == q.enqueue_count),
    )
    for match in _matching(entries):
        conn.execute(delete(_QUEUE).where(match, done))
        conn.execute(_release(match, owner))


def not_held(conn: Connection, owner: str, entries: Iterable[QueueEntry]) -> set[str]:
    """Keys of ``entries`` no longer ``owner``'s to record: another worker claimed them (its
    lease ran out and they were taken over) or they left the queue (that worker finished
    them). An unclaimed entry, or one whose lapsed lease nobody used, is still ``owner``'s. On
    PostgreSQL the entries still held are locked until the transaction ends, so no claim takes
    them in between."""
    q = _QUEUE.c
    entries = list(entries)
    holders: dict[str, str | None] = {}
    for match in _matching(entries):
        query = select(q.record_key, q.claimed_by).where(match)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        holders.update((key, holder) for key, holder in conn.execute(query))
    return {e.key for e in entries if e.key not in holders or holders[e.key] not in (None, owner)}


def renew(
    conn: Connection, now: datetime, owner: str, entries: Iterable[QueueEntry], lease_s: float
) -> int:
    """Extend ``owner``'s claims on ``entries`` to ``now + lease_s``; returns how many of
    them another worker has taken (a claim whose lease ran out). Entries that left the queue
    are not counted: the renewal may run just after ``owner``'s own commit completed them."""
    q = _QUEUE.c
    expires = now + timedelta(seconds=lease_s)
    taken = 0
    for match in _matching(entries):
        conn.execute(
            update(_QUEUE).where(match, q.claimed_by == owner).values(lease_expires_at=expires)
        )
        others = and_(match, q.claimed_by.is_not(None), q.claimed_by != owner)
        count = select(func.count()).select_from(_QUEUE).where(others)
        taken += int(conn.execute(count).scalar_one())
    return taken


def release(conn: Connection, owner: str, entries: Iterable[QueueEntry]) -> None:
    """Give back entries ``owner`` claimed, unfinished, for any worker to claim."""
    for match in _matching(entries):
        conn.execute(_release(match, owner))


def depth(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_QUEUE)).scalar_one())


def oldest_age_s(conn: Connection, now: datetime) -> float | None:
    """Seconds the oldest queued record has waited (None when the queue is empty)."""
    oldest = conn.execute(select(func.min(_QUEUE.c.first_enqueued_at))).scalar_one_or_none()
    if oldest is None:
        return None
    if isinstance(oldest, str):  # SQLite returns min() of a column as its stored text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


def _release(match: ColumnElement[bool], owner: str) -> Update:
    q = _QUEUE.c
    return (
        update(_QUEUE)
        .where(match, q.claimed_by == owner)
        .values(claimed_by=None, lease_expires_at=None, claimed_count=None)
    )


def _matching(entries: Iterable[QueueEntry]) -> list[ColumnElement[bool]]:
    """WHERE clauses naming ``entries``: one per direction and record type, keys chunked."""
    grouped: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    for entry in entries:
        grouped[(entry.direction, entry.record_type)][entry.key] = None
    q = _QUEUE.c
    return [
        and_(q.direction == direction, q.record_type == record_type, q.record_key.in_(chunk))
        for (direction, record_type), keys in grouped.items()
        for chunk in chunked(list(keys))
    ]
