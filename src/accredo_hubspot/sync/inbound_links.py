"""HubSpot's merge, deletion, restore and GDPR events as link changes. Pure.

The sibling of ``inbound`` (which queues the records to read again): these events change
which HubSpot record an Accredo record is linked to (reference 4.4, 4.5, 11.2). A merge moves
the link to the survivor (``newObjectId``; the primary and the ``mergedObjectIds`` lose
theirs); a ``deletion`` unlinks and reports, never deleting in Accredo; a ``restore`` (same
id) links again; a ``contact.privacyDeletion`` unlinks for good and drops the contact's
personal data. Companies and contacts follow, whether or not any of their fields come from
HubSpot (companies are linked when only Accredo writes them); a deal's link records the memo
its win left, which its deletion or merge does not undo, so deals do not. Who merged or deleted
does not matter (unlike ``inbound``'s echo suppression): the connector never merges, deletes
or restores, and a link must follow its record whoever did. Ordering is not guaranteed
(11.3): changes are given in ``occurredAt`` order.

The poll sees no events: ``merges_found``, ``deletions_found`` and ``restores_found`` make
the same changes of what HubSpot's search and lists show (reference 4.4, 4.5): a survivor's
``hs_merged_object_ids``, the recycle bin (``archived=true``), and a record reported deleted
that is readable again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from accredo_hubspot.hubspot.models import WebhookEvent
from accredo_hubspot.store import LinkChange
from accredo_hubspot.store.models import LinkChangeKind
from accredo_hubspot.sync.inbound import RECORD_TYPES, object_kind

#: The record types whose links follow their HubSpot records.
FOLLOWED: frozenset[str] = frozenset({"company", "contact"})
#: ``LinkChange.source`` of the changes the poll finds.
POLL_SOURCE = "hubspot poll"
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
    if kind is None or record_type not in FOLLOWED:
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


def merged_ids(text: str | None) -> tuple[str, ...]:
    """The ids of a survivor's ``hs_merged_object_ids`` (semicolon-separated, reference 4.5)."""
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


def merges_found(
    record_type: str, survivors: Mapping[str, Sequence[str]], known: Collection[str]
) -> list[LinkChange]:
    """A merge for each survivor (id -> its merged ids) one of whose merged ids is ``known``
    (linked, or reported deleted); other merges concern no link."""
    return [
        LinkChange("merge", record_type, survivor, tuple(merged), POLL_SOURCE)
        for survivor, merged in survivors.items()
        if any(m in known for m in merged)
    ]


def deletions_found(
    record_type: str, archived: Iterable[str], linked: Collection[str]
) -> list[LinkChange]:
    """A deletion for each linked record in the recycle bin."""
    return [
        LinkChange("delete", record_type, record_id, (), POLL_SOURCE)
        for record_id in dict.fromkeys(archived)
        if record_id in linked
    ]


def restores_found(
    record_type: str, reported: Collection[str], read: Mapping[str, Sequence[str]]
) -> list[LinkChange]:
    """Link changes for records ``reported`` deleted, of what a read of them (without
    ``archived``) returned (id -> its merged ids): a restore for one read back under its own
    id, a merge for one read back as a survivor naming it among its merged ids (HubSpot answers
    a merged-away id with its survivor); one not read back is still deleted."""
    changes = []
    for record_id, merged in read.items():
        if record_id in reported:
            changes.append(LinkChange("restore", record_type, record_id, (), POLL_SOURCE))
        gone = tuple(m for m in merged if m in reported and m not in read)
        if gone:
            changes.append(LinkChange("merge", record_type, record_id, gone, POLL_SOURCE))
    return changes
