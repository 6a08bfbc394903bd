"""HubSpot's webhook events as queued records. Pure.

Events only say which record changed (DESIGN "The flow of a change"); the sync reads the record
itself. So an event becomes one queue entry, direction ``to_accredo``, of the record type its
object follows (``company``, ``contact``, ``deal``), keyed by the HubSpot id; a burst of events
for one record is one entry. An event the connector caused itself (``sourceId`` is its app id,
reference 11.6) is its own write coming back and queues nothing. Each queued record carries the
event behind it (``webhook event ID (subscription type)``, the newest one for a burst) as its
source, so ``explain`` can name it. Events of an object no record
type follows yet, and deletions and GDPR deletes (which only change links: ``inbound_links``),
queue nothing either; they are marked processed all the same.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from accredo_hubspot.hubspot.models import WebhookEvent

#: HubSpot object kind (``contact`` of ``contact.propertyChange``) -> the state store's record
#: type of that object (``company`` is a debtor and its company).
RECORD_TYPES: Mapping[str, str] = {"company": "company", "contact": "contact", "deal": "deal"}
#: ``object.*`` events name their type by id (reference 11.2-11.3).
OBJECT_TYPE_IDS: Mapping[str, str] = {"0-1": "contact", "0-2": "company", "0-3": "deal"}
#: Changes that make a record worth reading again.
CHANGES_READ = frozenset({"creation", "propertyChange", "restore", "merge", "associationChange"})


def is_own_write(event: WebhookEvent, app_id: str | None) -> bool:
    """The connector's own write (its app id in ``sourceId``; reference 11.6: not
    ``changeSource``, which any integration shares)."""
    return app_id is not None and event.source_id is not None and event.source_id == app_id


def object_kind(event: WebhookEvent) -> str | None:
    """``contact``, ``company``, ``deal`` (``object.*`` events by their ``objectTypeId``)."""
    kind = event.object_kind
    if kind == "object":
        return OBJECT_TYPE_IDS.get(event.object_type_id or "")
    return kind


def changed_record(event: WebhookEvent) -> tuple[str, str] | None:
    """(record type, HubSpot id) of the record to read again, or None.

    A merge names the surviving record; an association change its ``from`` side (HubSpot
    sends one event per side, reference 11.3).
    """
    kind = object_kind(event)
    if kind is None or event.change_kind not in CHANGES_READ:
        return None
    record_type = RECORD_TYPES.get(kind)
    if record_type is None:
        return None
    if event.change_kind == "merge":
        record_id = event.new_object_id or event.primary_object_id or event.object_id
    elif event.change_kind == "associationChange":
        record_id = event.from_object_id or event.object_id
    else:
        record_id = event.object_id
    return (record_type, record_id) if record_id else None


def event_source(event: WebhookEvent) -> str:
    """The change behind a write, as the audit log names it (``explain`` shows it)."""
    return f"webhook event {event.event_id} ({event.subscription_type})"


def queued_records(
    payloads: Iterable[Mapping[str, Any]], app_id: str | None, followed: Collection[str]
) -> dict[str, dict[str, str]]:
    """Record type -> HubSpot ids to queue (first-seen order, each once), each with the
    newest event that named it, for the events of ``payloads`` (stored as received), leaving
    out the connector's own writes and record types not in ``followed``."""
    queued: dict[str, dict[str, str]] = {}
    for payload in payloads:
        try:
            event = WebhookEvent.model_validate(payload)
        except ValidationError:  # stored by an older release, say: nothing to act on
            continue
        if is_own_write(event, app_id):
            continue
        found = changed_record(event)
        if found is None or found[0] not in followed:
            continue
        queued.setdefault(found[0], {})[found[1]] = event_source(event)
    return queued
