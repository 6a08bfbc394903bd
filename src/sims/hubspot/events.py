"""What the CRM store tells its listeners (the webhook dispatcher) after each change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sims.hubspot.portal import ObjectType


@dataclass(frozen=True)
class WriteSource:
    """Who made a change: an app through the API, or a user in the HubSpot UI."""

    change_source: str
    source_id: str

    @staticmethod
    def integration(app_id: int) -> WriteSource:
        return WriteSource("INTEGRATION", str(app_id))

    @staticmethod
    def crm_ui(user_id: int) -> WriteSource:
        return WriteSource("CRM_UI", f"userId:{user_id}")


@dataclass(frozen=True)
class Change:
    """One CRM change: ``kind`` is a webhook event name (creation, propertyChange, ...)."""

    kind: str
    object_type: ObjectType
    object_id: int
    occurred_ms: int
    source: WriteSource
    property_name: str | None = None
    property_value: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
