"""Links following HubSpot records merged, deleted, restored or erased (reference 4.4, 4.5).

A merge moves the link of a merged id to the survivor (the Accredo key stays). A deletion
drops the link and leaves an open dead letter (field ``DELETED_FIELD``) naming the HubSpot id
and the Accredo key: the operator sees it, nothing is deleted in Accredo, and a restore (same
id) or a merge arriving after the merged ids' deletions finds the key there and links again.
A GDPR erase drops the link for good; the caller drops the personal data. Each step is
idempotent: a redelivered event changes nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from accredo_hubspot.store import schema
from accredo_hubspot.store.models import DELETED_FIELD, AuditEntry, DeadLetter, LinkChange
from accredo_hubspot.store.sql import chunked

#: Audit reasons of the link changes.
MERGED = "merged in HubSpot"
DELETED = "deleted in HubSpot"
RESTORED = "restored in HubSpot"
ERASED = "personal data erased (HubSpot GDPR delete)"
#: The audit's name for the link itself (field -> old id, new id).
LINK_FIELD = "hubspot_id"


@dataclass
class Applied:
    """What the link changes leave for the caller to write in the same transaction."""

    audit: list[AuditEntry] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    #: (record type, record keys) whose personal data is to be dropped.
    erase: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def apply(conn: Connection, now: datetime, changes: Sequence[LinkChange]) -> Applied:
    """Follow ``changes`` in order on the links (one transaction, the caller's)."""
    applied = Applied()
    for change in changes:
        if change.kind == "merge":
            _merge(conn, now, change, applied)
        elif change.kind == "delete":
            _delete(conn, now, change, applied)
        elif change.kind == "restore":
            _restore(conn, now, change, applied)
        else:
            _erase(conn, now, change, applied)
    return applied


def _linked(conn: Connection, record_type: str, hubspot_ids: Sequence[str]) -> dict[str, str]:
    """HubSpot id -> Accredo key of the linked ones."""
    table = schema.links
    found: dict[str, str] = {}
    for chunk in chunked(list(dict.fromkeys(hubspot_ids))):
        rows = conn.execute(
            select(table.c.hubspot_id, table.c.accredo_key).where(
                table.c.record_type == record_type, table.c.hubspot_id.in_(chunk)
            )
        )
        found.update(dict(rows.all()))
    return found


def reported(conn: Connection, record_type: str) -> dict[str, tuple[int, str]]:
    """HubSpot id -> (letter id, Accredo key) of every open deletion letter of the type."""
    table = schema.dead_letters
    rows = conn.execute(
        select(table.c.id, table.c.record_key, table.c.payload).where(
            table.c.resolved_at.is_(None),
            table.c.record_type == record_type,
            table.c.field == DELETED_FIELD,
        )
    )
    found: dict[str, tuple[int, str]] = {}
    for letter_id, key, payload in rows:
        hubspot_id = str((payload or {}).get(LINK_FIELD, ""))
        if hubspot_id:
            found[hubspot_id] = (letter_id, key)
    return found


def _deleted(
    conn: Connection, record_type: str, hubspot_ids: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """HubSpot id -> (letter id, Accredo key) of the open deletion letters of ``hubspot_ids``."""
    wanted = set(hubspot_ids)
    return {k: v for k, v in reported(conn, record_type).items() if k in wanted}


def _resolve(conn: Connection, now: datetime, letter_ids: Sequence[int]) -> None:
    if letter_ids:
        table = schema.dead_letters
        conn.execute(update(table).where(table.c.id.in_(letter_ids)).values(resolved_at=now))


def _unlink(conn: Connection, record_type: str, key: str) -> None:
    table = schema.links
    conn.execute(
        delete(table).where(table.c.record_type == record_type, table.c.accredo_key == key)
    )


def _link(
    conn: Connection, now: datetime, record_type: str, key: str, hubspot_id: str, via: str
) -> None:
    """Link ``key`` to ``hubspot_id``, replacing the key's link if it has one."""
    _unlink(conn, record_type, key)
    conn.execute(
        schema.links.insert(),
        {
            "record_type": record_type,
            "accredo_key": key,
            "hubspot_id": hubspot_id,
            "via": via,
            "linked_at": now,
        },
    )


def _audit(
    now: datetime, change: LinkChange, key: str, old: str | None, new: str | None, reason: str
) -> AuditEntry:
    return AuditEntry(
        at=now,
        side="hubspot",
        record_type=change.record_type,
        record_key=key,
        remote_id=new or old,
        changes={LINK_FIELD: (old, new)},
        reason=reason,
        source=change.source,
    )


def _merge(conn: Connection, now: datetime, change: LinkChange, applied: Applied) -> None:
    """Move the link of the first merged id that has one (else of a deletion letter's) to the
    survivor; a second Accredo key among the merged ids is unlinked and reported."""
    survivor = change.hubspot_id
    merged = [m for m in change.merged_ids if m != survivor]
    linked = _linked(conn, change.record_type, [survivor, *merged])
    letters = _deleted(conn, change.record_type, merged)
    keys: dict[str, str] = {}  # Accredo key -> the merged id it was linked to
    for merged_id in merged:
        key = linked.get(merged_id) or letters.get(merged_id, (0, ""))[1]
        if key:
            keys.setdefault(key, merged_id)
    _resolve(conn, now, [letter_id for letter_id, _ in letters.values()])
    holder = linked.get(survivor)
    for key, merged_id in keys.items():
        if holder is None or holder == key:
            if holder is None:
                _link(conn, now, change.record_type, key, survivor, "merge")
                applied.audit.append(_audit(now, change, key, merged_id, survivor, MERGED))
            holder = key
            continue
        _unlink(conn, change.record_type, key)
        applied.audit.append(_audit(now, change, key, merged_id, None, MERGED))
        applied.letters.append(
            DeadLetter(
                change.record_type,
                key,
                "hubspot",
                DELETED_FIELD,
                f"{change.record_type} {merged_id} was merged into {survivor}, which is linked "
                f"to {holder}: {key} is no longer linked (nothing deleted in Accredo)",
                {LINK_FIELD: merged_id, "merged_into": survivor},
            )
        )


def _delete(conn: Connection, now: datetime, change: LinkChange, applied: Applied) -> None:
    """Unlink a deleted record and report it with an open letter (a restore needs its key)."""
    key = _linked(conn, change.record_type, [change.hubspot_id]).get(change.hubspot_id)
    if key is None:
        return
    _unlink(conn, change.record_type, key)
    applied.audit.append(_audit(now, change, key, change.hubspot_id, None, DELETED))
    applied.letters.append(
        DeadLetter(
            change.record_type,
            key,
            "hubspot",
            DELETED_FIELD,
            f"{change.record_type} {change.hubspot_id} was deleted in HubSpot: {key} is no "
            "longer linked (nothing deleted in Accredo; a restore in HubSpot links it again)",
            {LINK_FIELD: change.hubspot_id},
        )
    )


def _restore(conn: Connection, now: datetime, change: LinkChange, applied: Applied) -> None:
    """Link a restored record again to the key its deletion letter names, unless that key
    has been linked to another record since."""
    if _linked(conn, change.record_type, [change.hubspot_id]):
        return
    letter = _deleted(conn, change.record_type, [change.hubspot_id]).get(change.hubspot_id)
    if letter is None:
        return
    letter_id, key = letter
    table = schema.links
    taken = conn.execute(
        select(table.c.hubspot_id).where(
            table.c.record_type == change.record_type, table.c.accredo_key == key
        )
    ).scalar_one_or_none()
    if taken is not None:
        return
    _link(conn, now, change.record_type, key, change.hubspot_id, "restore")
    _resolve(conn, now, [letter_id])
    applied.audit.append(_audit(now, change, key, None, change.hubspot_id, RESTORED))


def _erase(conn: Connection, now: datetime, change: LinkChange, applied: Applied) -> None:
    """Unlink for good (a GDPR delete is never restored) and have the record's personal data
    dropped, under its Accredo key and its HubSpot id alike."""
    key = _linked(conn, change.record_type, [change.hubspot_id]).get(change.hubspot_id)
    letter = _deleted(conn, change.record_type, [change.hubspot_id]).get(change.hubspot_id)
    if letter is not None:
        key = key or letter[1]
        _resolve(conn, now, [letter[0]])
    if key is None:  # never linked, or erased already: nothing to say, but nothing kept
        applied.erase.append((change.record_type, (change.hubspot_id,)))
        return
    _unlink(conn, change.record_type, key)
    applied.erase.append((change.record_type, (key, change.hubspot_id)))
    applied.audit.append(_audit(now, change, key, change.hubspot_id, None, ERASED))
