"""Parse a HubSpot webhook delivery (a JSON array of events, reference §11.3).

Verify the signature on the raw bytes first (``signatures.verify_request``), then parse.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from accredo_hubspot.hubspot.errors import HubSpotValidationError
from accredo_hubspot.hubspot.models import WebhookEvent


def parse_webhook_events(raw_body: bytes | str) -> list[WebhookEvent]:
    """The events of one delivery; raises ``HubSpotValidationError`` for a malformed body."""
    try:
        data = json.loads(raw_body)
    except ValueError as exc:
        raise HubSpotValidationError(f"webhook body is not JSON: {exc}") from exc
    if isinstance(data, dict):  # a single event, as some tools send them
        data = [data]
    if not isinstance(data, list):
        raise HubSpotValidationError("webhook body is not a JSON array of events")
    try:
        return [WebhookEvent.model_validate(item) for item in data]
    except ValidationError as exc:
        raise HubSpotValidationError(f"webhook event is malformed: {exc}") from exc


def dedupe_key(event: WebhookEvent) -> tuple[object, ...]:
    """Events repeat and ``eventId`` is not unique (pitfall §13.15): key on what changed."""
    return (
        event.portal_id,
        event.subscription_type,
        event.object_id,
        event.property_name,
        event.occurred_at,
    )
