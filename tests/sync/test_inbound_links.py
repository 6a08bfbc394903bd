"""Merge, deletion, restore and GDPR events into link changes (reference 4.4, 4.5, 11.2-11.3)."""

from __future__ import annotations

from typing import Any

from accredo_hubspot.store import LinkChange
from accredo_hubspot.sync.inbound_links import (
    POLL_SOURCE,
    deletions_found,
    link_changes,
    merged_ids,
    merges_found,
    restores_found,
)

APP_ID = "1234567"


def event(kind: str, object_id: int, at: int = 1_764_460_000_000, **fields: Any) -> dict[str, Any]:
    return {
        "eventId": object_id,
        "occurredAt": at,
        "subscriptionType": kind,
        "objectId": object_id,
        **fields,
    }


def test_a_merge_moves_the_primary_and_the_merged_ids_to_the_new_record() -> None:
    merge = event("contact.merge", 30, primaryObjectId=10, mergedObjectIds=[20], newObjectId=30)
    [change] = link_changes([merge])
    assert (change.kind, change.record_type, change.hubspot_id) == ("merge", "contact", "30")
    assert change.merged_ids == ("10", "20")


def test_deletion_restore_and_gdpr_delete_each_name_their_record_in_time_order() -> None:
    events = [
        event("contact.restore", 5, at=3),
        event("contact.privacyDeletion", 6, at=2),
        event("company.deletion", 5, at=1),
    ]
    changes = link_changes(events)
    assert [(c.kind, c.record_type, c.hubspot_id) for c in changes] == [
        ("delete", "company", "5"),
        ("erase", "contact", "6"),
        ("restore", "contact", "5"),
    ]


def test_a_deletion_by_any_app_unlinks_its_record() -> None:
    # The connector never deletes: an event with its app id is another user of its token.
    [change] = link_changes([event("contact.deletion", 2, sourceId=APP_ID)])
    assert (change.kind, change.hubspot_id) == ("delete", "2")


def test_other_events_and_objects_change_no_link() -> None:
    events = [
        event("ticket.deletion", 1),
        event("contact.propertyChange", 3, propertyName="email", propertyValue="a@b.co.nz"),
        event("company.creation", 4),
        event("deal.deletion", 7),  # a deal's link is its memo: a deletion leaves it
        event("deal.merge", 9, primaryObjectId=9, mergedObjectIds=[11], newObjectId=9),
        {"subscriptionType": "contact.deletion"},  # malformed: no occurredAt
    ]
    assert link_changes(events) == []


def test_generic_object_events_are_read_by_their_type_id() -> None:
    changes = link_changes([event("object.deletion", 8, objectTypeId="0-2")])
    assert changes == [LinkChange("delete", "company", "8", (), "webhook object.deletion 8")]


# -- what the poll sees (no events) -------------------------------------------------------------


def test_a_survivor_found_by_the_poll_is_a_merge_when_a_merged_id_is_known() -> None:
    assert merged_ids(" 10;20; ") == ("10", "20")
    survivors = {"30": ("10", "20"), "31": ("12",)}
    assert merges_found("company", survivors, {"20"}) == [
        LinkChange("merge", "company", "30", ("10", "20"), POLL_SOURCE)
    ]


def test_a_linked_record_in_the_recycle_bin_is_a_deletion() -> None:
    changes = deletions_found("contact", ["4", "5", "4"], {"4": "C1"})
    assert changes == [LinkChange("delete", "contact", "4", (), POLL_SOURCE)]


def test_a_reported_record_read_back_is_restored_or_followed_into_its_survivor() -> None:
    read = {"5": (), "40": ("6", "99")}  # 5 under its own id; 6 answered by survivor 40
    changes = restores_found("company", {"5", "6", "7"}, read)  # 7: still deleted
    assert changes == [
        LinkChange("restore", "company", "5", (), POLL_SOURCE),
        LinkChange("merge", "company", "40", ("6",), POLL_SOURCE),
    ]
