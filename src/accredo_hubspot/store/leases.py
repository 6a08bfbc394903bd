"""Leader leases: which process polls a source, until when.

A lease is a row (name -> owner, expiry) rather than an advisory lock, so it works on SQLite
too, belongs to the schema it guards, and lapses by itself when its holder dies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, select

from accredo_hubspot.store import schema
from accredo_hubspot.store.sql import insert_for

_LEASES = schema.leases


def acquire(conn: Connection, now: datetime, name: str, owner: str, lease_s: float) -> bool:
    """Take or renew the lease ``name`` for ``owner``: true when ``owner`` holds it now."""
    stmt = insert_for(conn, _LEASES).values(
        name=name, owner=owner, expires_at=now + timedelta(seconds=lease_s)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
        where=or_(_LEASES.c.owner == owner, _LEASES.c.expires_at < now),
    ).returning(_LEASES.c.owner)
    # A row comes back when it was inserted or updated; none when another owner holds it.
    return conn.execute(stmt).first() is not None


def release(conn: Connection, name: str, owner: str) -> None:
    """Give the lease up (only its holder can)."""
    conn.execute(delete(_LEASES).where(_LEASES.c.name == name, _LEASES.c.owner == owner))


def holder(conn: Connection, name: str) -> tuple[str, datetime] | None:
    """Who holds (or last held) the lease ``name``, and until when; None if nobody."""
    row = conn.execute(
        select(_LEASES.c.owner, _LEASES.c.expires_at).where(_LEASES.c.name == name)
    ).first()
    return None if row is None else (row.owner, row.expires_at)
