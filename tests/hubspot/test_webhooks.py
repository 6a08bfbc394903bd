"""Webhook delivery parsing (reference §11.3)."""

from __future__ import annotations

import json

import pytest

from accredo_hubspot.hubspot.errors import HubSpotValidationError
from accredo_hubspot.hubspot.webhooks import dedupe_key, inbox_key, parse_webhook_events

DELIVERY = [
    {
        "eventId": 1,
        "subscriptionId": 12345,
        "portalId": 62515,
        "appId": 54321,
        "occurredAt": 1564113600000,
        "subscriptionType": "contact.creation",
        "attemptNumber": 0,
        "objectId": 123,
        "changeSource": "CRM",
        "changeFlag": "NEW",
    },
    {
        "objectId": 1246965,
        "propertyName": "lifecyclestage",
        "propertyValue": "subscriber",
        "changeSource": "INTEGRATION",
        "sourceId": "54321",
        "eventId": 3816279340,
        "subscriptionId": 25,
        "portalId": 33,
        "appId": 1160452,
        "occurredAt": 1462216307945,
        "subscriptionType": "contact.propertyChange",
        "attemptNumber": 2,
    },
    {
        "eventId": 5,
        "portalId": 33,
        "occurredAt": 1,
        "subscriptionType": "company.merge",
        "objectId": 9,
        "primaryObjectId": 7,
        "mergedObjectIds": [8, 9],
        "newObjectId": 10,
        "numberOfPropertiesMoved": 3,
    },
]


def test_parses_the_documented_delivery() -> None:
    """Numeric ids become text; kinds split from the subscription type."""
    creation, change, merge = parse_webhook_events(json.dumps(DELIVERY).encode())

    assert (creation.object_kind, creation.change_kind, creation.object_id) == (
        "contact",
        "creation",
        "123",
    )
    assert (change.property_name, change.property_value, change.source_id) == (
        "lifecyclestage",
        "subscriber",
        "54321",
    )
    assert change.attempt_number == 2
    assert (merge.merged_object_ids, merge.new_object_id) == (["8", "9"], "10")


def test_retries_share_a_dedupe_key() -> None:
    """A retried event (new attemptNumber, maybe new eventId) has the same dedupe key."""
    retry = dict(DELIVERY[1], attemptNumber=3, eventId=99)
    first, again = parse_webhook_events(json.dumps([DELIVERY[1], retry]))

    assert dedupe_key(first) == dedupe_key(again)


def test_inbox_keys_hold_a_redelivery_once_and_keep_events_sharing_an_id() -> None:
    """A redelivery (same eventId, next attempt) has the same key; association changes carry
    no objectId, so two of them in one millisecond differ only by their eventId."""
    association = {
        "eventId": 7,
        "portalId": 33,
        "occurredAt": 1,
        "subscriptionType": "contact.associationChange",
        "fromObjectId": 1,
        "toObjectId": 2,
    }
    redelivery = dict(DELIVERY[1], attemptNumber=3)
    sibling = dict(association, eventId=8, toObjectId=3)
    first, again, assoc, other = parse_webhook_events(
        json.dumps([DELIVERY[1], redelivery, association, sibling])
    )

    assert inbox_key(first) == inbox_key(again)
    assert inbox_key(assoc) != inbox_key(other)
    assert inbox_key(first) != inbox_key(assoc)
    long_name = parse_webhook_events(json.dumps(dict(DELIVERY[1], propertyName="p" * 300)))[0]
    assert len(inbox_key(long_name)) <= 255


@pytest.mark.parametrize(
    "raw", [b"not json", b'"text"', b'[{"eventId": 1}]', b"[1, 2]", b'{"events": []}']
)
def test_malformed_bodies_raise(raw: bytes) -> None:
    """Non-JSON, non-arrays and events without type/time are refused."""
    with pytest.raises(HubSpotValidationError):
        parse_webhook_events(raw)
