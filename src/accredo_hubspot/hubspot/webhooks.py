"""Parse a HubSpot webhook delivery (a JSON array of events, reference §11.3).

Verify the signature on the raw bytes first (``signatures.v3_refusal``), then parse.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError

from accredo_hubspot.hubspot.errors import HubSpotValidationError
from accredo_hubspot.hubspot.models import WebhookEvent

#: Longest inbox key the store holds; a longer one is hashed.
MAX_INBOX_KEY_CHARS = 255


def webhook_payloads(raw_body: bytes | str) -> list[dict[str, Any]]:
    """The events of one delivery as JSON objects, unvalidated; raises
    ``HubSpotValidationError`` unless the body is a JSON array of objects (or one object)."""
    try:
        data = json.loads(raw_body)
    except ValueError as exc:
        raise HubSpotValidationError(f"webhook body is not JSON: {exc}") from exc
    if isinstance(data, dict):  # a single event, as some tools send them
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise HubSpotValidationError("webhook body is not a JSON array of events")
    return data


def parse_event(payload: dict[str, Any]) -> WebhookEvent:
    """One event; raises ``HubSpotValidationError`` when it lacks what every event carries."""
    try:
        return WebhookEvent.model_validate(payload)
    except ValidationError as exc:
        raise HubSpotValidationError(f"webhook event is malformed: {exc}") from exc


def parse_webhook_events(raw_body: bytes | str) -> list[WebhookEvent]:
    """The events of one delivery; raises ``HubSpotValidationError`` for a malformed body."""
    return [parse_event(payload) for payload in webhook_payloads(raw_body)]


def dedupe_key(event: WebhookEvent) -> tuple[object, ...]:
    """Events repeat and ``eventId`` is not unique (pitfall §13.15): key on what changed."""
    return (
        event.portal_id,
        event.subscription_type,
        event.object_id,
        event.property_name,
        event.occurred_at,
    )


def inbox_key(event: WebhookEvent) -> str:
    """The event's key in the inbox: its ``eventId`` with what changed, so a redelivery (same
    id, a higher ``attemptNumber``) is held once, and two events that happen to share an id
    (association changes carry no ``objectId``) are both kept."""
    key = ":".join(
        "" if part is None else str(part) for part in (event.event_id, *dedupe_key(event))
    )
    if len(key) > MAX_INBOX_KEY_CHARS:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key
