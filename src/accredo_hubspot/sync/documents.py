"""What invoices and orders share: the custom object as this portal has it, and Accredo's
business date.

A custom object's ``objectTypeId`` and its association type to companies are the portal's own
(reference hubspot-api.md section 7: read them from the schema and the v4 labels), so they are
read once when the sync starts. "Today" for days overdue is Accredo's ``SystemDate``, read
again when the last read is a minute old, so HubSpot agrees with Accredo's aging and follows
its business date (not the wall clock) when someone moves it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.hubspot.models import (
    AssociationType,
    BatchOutcome,
    InlineAssociation,
    ObjectSchema,
    WriteInput,
)
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.objects import INVOICE_OBJECT, SUMMARY_PROPERTIES

COMPANIES = "companies"
#: Seconds a read of Accredo's business date is used for (issue 10: at least once a minute).
BUSINESS_DATE_MAX_AGE_S = 60.0


class DocumentsUnavailable(ConnectorError):
    """The portal has no such custom object (setup not run, or no custom objects there)."""


class DocumentSink(Protocol):
    """The HubSpot calls invoices and orders make (``HubSpotClient`` has them)."""

    async def list_schemas(self) -> list[ObjectSchema]: ...

    async def association_labels(self, from_type: str, to_type: str) -> list[AssociationType]: ...

    async def batch_update(
        self, object_type: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome: ...

    async def batch_create_unique(
        self, object_type: str, id_property: str, inputs: Sequence[WriteInput]
    ) -> BatchOutcome: ...

    async def batch_archive(self, object_type: str, ids: Sequence[str]) -> int: ...

    async def get_properties(self, object_type: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class DocumentObject:
    """A custom object on this portal: its type id and how a record joins its company."""

    name: str
    type_id: str
    company_category: str
    company_type_id: int

    def to_company(self, company_id: str) -> InlineAssociation:
        return InlineAssociation(company_id, self.company_type_id, self.company_category)


async def resolve_object(hubspot: DocumentSink, name: str) -> DocumentObject:
    """The custom object ``name`` on this portal (``DocumentsUnavailable`` when missing)."""
    for schema in await hubspot.list_schemas():
        if schema.name != name:
            continue
        labels = await hubspot.association_labels(schema.object_type_id, COMPANIES)
        if not labels:
            raise DocumentsUnavailable(f"custom object {name} is not associated to companies")
        chosen = next((t for t in labels if t.label is None), labels[0])
        return DocumentObject(name, schema.object_type_id, chosen.category, chosen.type_id)
    raise DocumentsUnavailable(
        f"HubSpot has no custom object {name}: run `accredo-hubspot setup` (custom objects "
        "need an Enterprise portal)"
    )


class BusinessDate:
    """Accredo's business date, read at most ``max_age_s`` ago."""

    def __init__(
        self,
        read: Callable[[], Awaitable[date]],
        max_age_s: float = BUSINESS_DATE_MAX_AGE_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._max_age_s = max_age_s
        self._monotonic = monotonic
        self._value: date | None = None
        self._read_at = 0.0

    async def refresh(self) -> date:
        """The business date, read again if the last read is too old."""
        now = self._monotonic()
        if self._value is None or now - self._read_at >= self._max_age_s:
            self._value = await self._read()
            self._read_at = now
        return self._value

    def today(self) -> date:
        """The last date read (``refresh`` first)."""
        if self._value is None:
            raise RuntimeError("BusinessDate.today() before refresh()")
        return self._value


async def documents_config(hubspot: DocumentSink, config: MappingConfig) -> MappingConfig:
    """``config``, with ``[documents] custom_objects`` off when HubSpot refused the custom
    objects at setup: the portal has no ``accredo_invoice`` object but has the company summary
    properties setup creates instead. Then the summaries are written to the company."""
    if not config.documents.custom_objects:
        return config
    if any(s.name == INVOICE_OBJECT for s in await hubspot.list_schemas()):
        return config
    names = {p.get("name") for p in await hubspot.get_properties(COMPANIES)}
    if SUMMARY_PROPERTIES[0].name not in names:
        return config
    return replace(config, documents=replace(config.documents, custom_objects=False))
