"""Where the audit log's time passes a moment, found by id.

Entries are numbered as they are written, so their ids grow with their times: the first entry
of a moment is found by bisecting the ids (some 30 look-ups of the primary key on any size of
log) instead of through an index on the time, which cost ~35 bytes an entry for a search made
by the daily retention and the status page. Entries committed out of order (two workers, a few
seconds apart) may fall on the wrong side of the cut; the callers check the time as well.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from accredo_hubspot.store import schema


def first_id_since(conn: Connection, when: datetime) -> int:
    """The smallest id from which the entries are at ``when`` or later (one past the last id
    when all are older; 0 when the log is empty)."""
    audit = schema.audit_log.c
    # Two queries: SQLite reads a lone min() or max() off the key, but scans for both at once.
    low = conn.execute(select(func.min(audit.id))).scalar_one_or_none()
    high = conn.execute(select(func.max(audit.id))).scalar_one_or_none()
    if low is None or high is None:
        return 0
    if _first_from(conn, high)[1] < when:
        return int(high) + 1
    # The cut lies in [low, high]: the entries below ``low`` are older, and the first entry
    # from ``high`` on is at ``when`` or later.
    while low < high:
        middle = (low + high) // 2
        found, at = _first_from(conn, middle)
        if at >= when:
            high = middle
        else:
            low = found + 1
    return int(low)


def _first_from(conn: Connection, start: int) -> tuple[int, datetime]:
    """The id and time of the first entry whose id is ``start`` or more (the callers know one
    exists)."""
    audit = schema.audit_log.c
    found, at = conn.execute(
        select(audit.id, audit.at).where(audit.id >= start).order_by(audit.id).limit(1)
    ).one()
    return int(found), at
