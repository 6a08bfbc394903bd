"""Typed models of the HubSpot shapes the connector uses (CRM v3 objects, batch results).

Shapes follow the official SDK's generated models. Property values are strings on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class HubSpotObject(BaseModel):
    """``SimplePublicObject``: a CRM record."""

    model_config = ConfigDict(extra="allow")

    id: str
    properties: dict[str, str | None]
    createdAt: datetime | None = None
    updatedAt: datetime | None = None
    archived: bool = False


@dataclass(frozen=True)
class WriteInput:
    """One record to write. ``key`` identifies the input to the caller (e.g. a customer code).

    For an upsert ``id`` is the unique property's value; for an update it is the record id.
    """

    key: str
    id: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class WriteFailure:
    """Why one input of a batch was not written, naming the property where HubSpot did."""

    key: str
    category: str
    message: str
    property_name: str | None = None
    status: int | None = None


@dataclass
class BatchOutcome:
    """Per-input results of a batch helper call: every input lands in exactly one list."""

    written: dict[str, HubSpotObject] = field(default_factory=dict)  # key -> record
    failed: list[WriteFailure] = field(default_factory=list)
    calls: int = 0
