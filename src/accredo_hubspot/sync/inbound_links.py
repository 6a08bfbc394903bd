"""HubSpot's merge, deletion, restore and GDPR events as link changes. Pure.

The sibling of ``inbound`` (which queues the records to read again): these events change
which HubSpot record an Accredo record is linked to (reference 4.4, 4.5, 11.2). A merge moves
the link to the survivor (``newObjectId``; the primary and the ``mergedObjectIds`` lose
theirs); a ``deletion`` unlinks and reports, never deleting in Accredo; a ``restore`` (same
id) links again; a ``contact.privacyDeletion`` unlinks for good and drops the contact's
personal data. Every linked record type follows, whether or not any of its fields come from
HubSpot (companies are linked when only Accredo writes them). Who merged or deleted
does not matter (unlike ``inbound``'s echo suppression): the connector never merges, deletes
or restores, and a link must follow its record whoever did. Ordering is not guaranteed
(11.3): changes are given in ``occurredAt`` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from accredo_hubspot.hubspot.models import WebhookEvent
from accredo_hubspot.store import LinkChange
from accredo_hubspot.store.models import LinkChangeKind
from accredo_hubspot.sync.inbound import RECORD_TYPES, object_kind

#: Event change -> what the links do.
KINDS: Mapping[str, LinkChangeKind] = {
    "merge": "merge",
    "deletion": "delete",
    "restore": "restore",
    "privacyDeletion": "erase",
}


def link_change(event: WebhookEvent) -> LinkChange | None:
    """The link change ``event`` asks for, or None."""
    kind = KINDS.get(event.change_kind)
    object_type = object_kind(event)
    record_type = RECORD_TYPES.get(object_type or "")
    if kind is None or record_type is None:
        return None
    source = f"webhook {event.subscription_type} {event.event_id}"
    if kind == "merge":
        survivor = event.new_object_id or event.object_id or event.primary_object_id
        if not survivor:
            return None
        merged = [event.primary_object_id, *event.merged_object_ids]
        others = tuple(dict.fromkeys(m for m in merged if m and m != survivor))
        return LinkChange("merge", record_type, survivor, others, source)
    if not event.object_id:
        return None
    return LinkChange(kind, record_type, event.object_id, (), source)


def link_changes(payloads: Iterable[Mapping[str, Any]]) -> list[LinkChange]:
    """The link changes of ``payloads`` (stored as received), oldest first."""
    found: list[tuple[int, LinkChange]] = []
    for payload in payloads:
        try:
            event = WebhookEvent.model_validate(payload)
        except ValidationError:
            continue
        change = link_change(event)
        if change is not None:
            found.append((event.occurred_at, change))
    found.sort(key=lambda pair: pair[0])
    return [change for _, change in found]
