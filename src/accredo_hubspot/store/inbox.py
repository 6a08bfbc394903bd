"""The inbox: inbound events (HubSpot webhooks), de-duplicated by their sender's event id.

Events only say which record changed; the sync reads the record itself. Keeping the event id
makes a redelivered event harmless: it is added once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from accredo_hubspot.store import schema
from accredo_hubspot.store.models import InboxEvent
from accredo_hubspot.store.sql import chunked, insert_for, stamp_unset

_INBOX = schema.inbox


def add(conn: Connection, now: datetime, source: str, events: Mapping[str, Any]) -> list[str]:
    """Add events (event id -> payload) not already held; the ids of those that were new."""
    new: list[str] = []
    for chunk in chunked(list(events)):
        rows = [
            {
                "source": source,
                "event_id": event_id,
                "received_at": now,
                "payload": events[event_id],
            }
            for event_id in chunk
        ]
        stmt = (
            insert_for(conn, _INBOX)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(_INBOX.c.event_id)
        )
        added = set(conn.execute(stmt).scalars())
        new.extend(event_id for event_id in chunk if event_id in added)
    return new


def unprocessed(conn: Connection, source: str, limit: int) -> list[InboxEvent]:
    """Events of ``source`` not yet processed, oldest first."""
    c = _INBOX.c
    query = (
        select(_INBOX)
        .where(c.source == source, c.processed_at.is_(None))
        .order_by(c.id)
        .limit(limit)
    )
    return [
        InboxEvent(r.id, r.source, r.event_id, r.received_at, r.payload, r.processed_at)
        for r in conn.execute(query)
    ]


def mark_processed(conn: Connection, now: datetime, ids: Sequence[int]) -> int:
    """Mark events processed; returns how many changed."""
    return stamp_unset(conn, _INBOX, ids, "processed_at", now)
