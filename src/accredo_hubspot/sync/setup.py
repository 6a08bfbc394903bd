"""``accredo-hubspot setup``: the Accredo property group and company properties in HubSpot,
and the invoice and order custom objects (``sync.objects_setup``).

Idempotent: each property is created when missing and brought in line when its label,
description or options differ; running it twice changes nothing. A property the site already
keeps NZBNs in (``nzbn_property``) is used as it is, never moved or relabelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from accredo_hubspot.hubspot.models import PropertyCreate
from accredo_hubspot.mapping.config import MappingConfig
from accredo_hubspot.mapping.properties import (
    PROPERTY_GROUP,
    PropertyDef,
    company_properties,
    deal_properties,
)
from accredo_hubspot.sync.companies import COMPANIES
from accredo_hubspot.sync.deals_won import DEALS
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
    the deal properties (the company's risk on its open deals), then the invoice and order
    objects (or their company summary properties)."""
    report = SetupReport(group=PROPERTY_GROUP.name)
    await _ensure(hubspot, COMPANIES, company_properties(config.nzbn_property), config, report)
    await _ensure(hubspot, DEALS, deal_properties(), config, report, prefix="deal ")
    report.objects = await ensure_objects(hubspot, config)
    return report


async def _ensure(
    hubspot: SetupTarget,
    object_type: str,
    definitions: Sequence[PropertyDef],
    config: MappingConfig,
    report: SetupReport,
    *,
    prefix: str = "",
) -> None:
    """The group and ``definitions`` on ``object_type``; reported as ``prefix`` + name."""
    await hubspot.ensure_property_group(object_type, PROPERTY_GROUP.name, PROPERTY_GROUP.label)
    existing = {p.name: p for p in await hubspot.list_properties(object_type)}
    for definition in definitions:
        name = prefix + definition.name
        report.properties.append(name)
        before = existing.get(definition.name)
        if (
            before is not None
            and object_type == COMPANIES
            and (definition.name == config.nzbn_property)
        ):
            report.kept.append(name)
            continue
        wanted = PropertyCreate.model_validate(definition.to_hubspot())
        after = await hubspot.ensure_property(object_type, wanted)
        if before is None:
            report.created.append(name)
        elif after.model_dump() != before.model_dump():
            report.updated.append(name)
