"""Webhook events into queued records: which record each names, and the connector's own
writes left out (reference 11.3, 11.6)."""

from __future__ import annotations

from typing import Any

from accredo_hubspot.sync.inbound import queued_records

APP_ID = "1234567"
FOLLOWED = ("company", "contact")


def event(kind: str, object_id: int | None = 101, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "eventId": 1,
        "portalId": 99,
        "occurredAt": 1_764_460_000_000,
        "subscriptionType": kind,
        **fields,
    }
    if object_id is not None:
        payload["objectId"] = object_id
    return payload


def ids(queued: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Record type -> the ids queued, in order (the events behind them left out)."""
    return {record_type: list(sources) for record_type, sources in queued.items()}


def test_each_record_carries_the_newest_event_that_named_it() -> None:
    events = [
        event("contact.propertyChange", 7, eventId=11),
        event("contact.propertyChange", 7, eventId=12),
    ]
    assert queued_records(events, APP_ID, FOLLOWED) == {
        "contact": {"7": "webhook event 12 (contact.propertyChange)"}
    }


def test_a_users_change_queues_its_record_and_the_connectors_own_write_does_not() -> None:
    events = [
        event("contact.propertyChange", 101, changeSource="CRM_UI", sourceId="userId:45678"),
        event("contact.propertyChange", 102, changeSource="INTEGRATION", sourceId=APP_ID),
        # Another app's API write is a change like a user's: filter on the id, not the source.
        event("contact.creation", 103, changeSource="INTEGRATION", sourceId="9393361"),
    ]
    assert ids(queued_records(events, APP_ID, FOLLOWED)) == {"contact": ["101", "103"]}


def test_without_our_app_id_nothing_is_taken_for_an_echo() -> None:
    events = [event("company.propertyChange", 7, changeSource="INTEGRATION", sourceId=APP_ID)]
    assert ids(queued_records(events, None, FOLLOWED)) == {"company": ["7"]}


def test_each_record_is_queued_once_in_first_seen_order() -> None:
    events = [
        event("contact.propertyChange", 5, propertyName="email"),
        event("contact.propertyChange", 4, propertyName="firstname"),
        event("contact.propertyChange", 5, propertyName="lastname"),
        event("company.creation", 9),
    ]
    assert ids(queued_records(events, APP_ID, FOLLOWED)) == {
        "contact": ["5", "4"],
        "company": ["9"],
    }


def test_a_merge_queues_the_survivor_and_an_association_change_its_from_side() -> None:
    events = [
        event(
            "contact.merge",
            None,
            primaryObjectId=20,
            mergedObjectIds=[21],
            newObjectId=22,
        ),
        event(
            "contact.associationChange",
            None,
            associationType="CONTACT_TO_COMPANY",
            fromObjectId=30,
            toObjectId=9,
        ),
    ]
    assert ids(queued_records(events, APP_ID, FOLLOWED)) == {"contact": ["22", "30"]}


def test_generic_object_events_follow_their_type_id() -> None:
    events = [
        event("object.propertyChange", 40, objectTypeId="0-1"),
        event("object.propertyChange", 41, objectTypeId="2-3465404"),  # a custom object
    ]
    assert ids(queued_records(events, APP_ID, FOLLOWED)) == {"contact": ["40"]}


def test_types_no_spec_writes_and_events_no_spec_acts_on_queue_nothing() -> None:
    events = [
        event("deal.propertyChange", 50),  # deals are not followed yet
        event("contact.deletion", 51),
        event("contact.privacyDeletion", 52),
        {"not": "an event"},
    ]
    assert ids(queued_records(events, APP_ID, FOLLOWED)) == {}
