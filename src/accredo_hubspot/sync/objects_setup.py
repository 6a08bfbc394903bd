"""``setup``'s custom objects: ``accredo_invoice`` and ``accredo_order``, or, on a portal
without custom objects, the company summary properties that stand in for them.

A schema is created when missing. One that exists is compared with what the mapping needs and
any difference is reported, never altered: a schema's name and labels cannot change, nor can a
property's type or uniqueness (reference hubspot-api.md sections 6 and 7), and a site may have
changed the rest on purpose. HubSpot refuses schema creation below Enterprise (section 7: a
403); setup then creates the summary properties instead, as it does when ``[documents]
custom_objects = false``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from accredo_hubspot.hubspot.errors import HubSpotAuthError
from accredo_hubspot.hubspot.models import (
    ObjectSchema,
    ObjectSchemaCreate,
    Property,
    PropertyCreate,
)
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.objects import (
    CUSTOM_OBJECTS,
    ORDER_ROLLUP_PROPERTIES,
    SUMMARY_PROPERTIES,
    ObjectDef,
)
from accredo_hubspot.mapping.properties import PropertyDef

COMPANIES = "companies"
COMPANY_TYPE_ID = "0-2"


class HubSpotSchemas(Protocol):
    """What setup needs for custom objects (``HubSpotClient`` has it)."""

    async def list_schemas(self) -> list[ObjectSchema]: ...

    async def create_schema(self, schema: ObjectSchemaCreate) -> ObjectSchema: ...

    async def ensure_property(self, object_type: str, definition: PropertyCreate) -> Property: ...


@dataclass
class ObjectsReport:
    """What setup found and did for invoices and orders."""

    custom_objects: bool = True  # False: summary properties on the company instead
    refused: str = ""  # HubSpot's answer when it refused a schema
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)  # "object: what differs"
    company_properties: list[str] = field(default_factory=list)


def schema_differences(wanted: ObjectDef, have: ObjectSchema) -> list[str]:
    """How an existing schema differs from what the mapping needs (empty: it fits)."""
    out: list[str] = []
    props = {p.name: p for p in have.properties}
    for prop in wanted.properties:
        existing = props.get(prop.name)
        if existing is None:
            out.append(f"property {prop.name} is missing")
            continue
        if existing.type != prop.type:
            out.append(f"property {prop.name} is {existing.type}, not {prop.type}")
        if existing.has_unique_value != prop.has_unique_value:
            out.append(
                f"property {prop.name} has hasUniqueValue={existing.has_unique_value}, "
                f"not {prop.has_unique_value}"
            )
        missing_options = set(prop.option_values()) - {o.value for o in existing.options}
        if missing_options:
            out.append(f"property {prop.name} lacks options {sorted(missing_options)}")
    if have.primary_display_property != wanted.primary_display:
        out.append(
            f"primary display property is {have.primary_display_property}, "
            f"not {wanted.primary_display}"
        )
    unsearchable = [n for n in wanted.searchable if n not in have.searchable_properties]
    if unsearchable:
        out.append(f"not searchable: {', '.join(unsearchable)}")
    if not any(a.to_object_type_id == COMPANY_TYPE_ID for a in have.associations):
        out.append("not associated to companies")
    return [f"{wanted.name}: {line}" for line in out]


async def ensure_objects(hubspot: HubSpotSchemas, config: MappingConfig) -> ObjectsReport:
    """Create the custom objects (or report how existing ones differ); fall back to summary
    properties when the portal refuses them or the configuration says so. The order rollups
    go on the company either way."""
    report = ObjectsReport(custom_objects=config.documents.custom_objects)
    if report.custom_objects:
        existing = {s.name: s for s in await hubspot.list_schemas()}
        for wanted in CUSTOM_OBJECTS:
            have = existing.get(wanted.name)
            if have is not None:
                report.kept.append(wanted.name)
                report.differences.extend(schema_differences(wanted, have))
                continue
            try:
                await hubspot.create_schema(ObjectSchemaCreate.model_validate(wanted.to_hubspot()))
            except HubSpotAuthError as exc:
                if exc.status != 403:
                    raise
                report.custom_objects = False
                report.refused = str(exc)
                break
            report.created.append(wanted.name)
    company: tuple[PropertyDef, ...] = ORDER_ROLLUP_PROPERTIES
    if not report.custom_objects:
        company = SUMMARY_PROPERTIES + company
    for definition in company:
        await hubspot.ensure_property(
            COMPANIES, PropertyCreate.model_validate(definition.to_hubspot())
        )
        report.company_properties.append(definition.name)
    return report
