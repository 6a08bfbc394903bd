"""``accredo-hubspot setup``: the Accredo property group and company properties in HubSpot,
and the invoice and order custom objects (``sync.objects_setup``).

Idempotent: each property is created when missing and brought in line when its label,
description or options differ; running it twice changes nothing. A property the site already
keeps NZBNs in (``nzbn_property``) is used as it is, never moved or relabelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from accredo_hubspot.hubspot.models import PropertyCreate
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.properties import PROPERTY_GROUP, company_properties
from accredo_hubspot.sync.companies import COMPANIES
from accredo_hubspot.sync.objects_setup import HubSpotSchemas, ObjectsReport, ensure_objects
from accredo_hubspot.sync.ports import HubSpotProperties


class SetupTarget(HubSpotProperties, HubSpotSchemas, Protocol):
    """The HubSpot calls setup makes."""


@dataclass
class SetupReport:
    """Which properties exist now, and which this run created or changed."""

    group: str
    properties: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    objects: ObjectsReport = field(default_factory=ObjectsReport)


async def run_setup(hubspot: SetupTarget, config: MappingConfig) -> SetupReport:
    """Create or update the property group and every company property the mapping writes,
    then the invoice and order objects (or their company summary properties)."""
    await hubspot.ensure_property_group(COMPANIES, PROPERTY_GROUP.name, PROPERTY_GROUP.label)
    report = SetupReport(group=PROPERTY_GROUP.name)
    existing = {p.name: p for p in await hubspot.list_properties(COMPANIES)}
    for definition in company_properties(config.nzbn_property):
        report.properties.append(definition.name)
        before = existing.get(definition.name)
        if before is not None and definition.name == config.nzbn_property:
            report.kept.append(definition.name)
            continue
        wanted = PropertyCreate.model_validate(definition.to_hubspot())
        after = await hubspot.ensure_property(COMPANIES, wanted)
        if before is None:
            report.created.append(definition.name)
        elif after.model_dump() != before.model_dump():
            report.updated.append(definition.name)
    report.objects = await ensure_objects(hubspot, config)
    return report
