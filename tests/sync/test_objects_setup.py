"""``setup``'s custom objects against the HubSpot simulator over HTTP: created once with a
unique Accredo id and a company association, left alone (and reported) when they differ, and
company summary properties instead on a Professional portal or by configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.mapping.config import default_config_text, load_config, parse_config
from accredo_hubspot.mapping.objects import (
    INVOICE_ID_PROPERTY,
    INVOICE_SCHEMA,
    ORDER_ID_PROPERTY,
    ORDER_ROLLUP_PROPERTIES,
    SUMMARY_PROPERTIES,
)
from accredo_hubspot.sync.setup import run_setup
from sims.hubspot.app import create_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread
from tests.e2e.world import hubspot_api, sim_stats


@pytest.fixture
def enterprise() -> Iterator[BackgroundServer]:
    with serve_in_thread(create_app(HubSpotSimConfig(rate_limit=0))) as server:
        yield server


@pytest.fixture
def professional() -> Iterator[BackgroundServer]:
    config = HubSpotSimConfig(rate_limit=0, tier="professional")
    with serve_in_thread(create_app(config)) as server:
        yield server


async def test_creates_both_objects_unique_searchable_and_on_companies(
    enterprise: BackgroundServer,
) -> None:
    async with HubSpotClient(DEMO_TOKEN, base_url=enterprise.url) as hubspot:
        report = await run_setup(hubspot, load_config(None))
    assert report.objects.custom_objects
    assert report.objects.created == ["accredo_invoice", "accredo_order"]
    assert report.objects.differences == []
    schemas = {
        s["name"]: s
        for s in hubspot_api(enterprise, "GET", "/crm-object-schemas/v3/schemas")["results"]
    }
    invoice = schemas["accredo_invoice"]
    props = {p["name"]: p for p in invoice["properties"]}
    assert props[INVOICE_ID_PROPERTY]["hasUniqueValue"] is True
    assert [o["value"] for o in props["status"]["options"]] == ["open", "overdue", "paid"]
    assert invoice["primaryDisplayProperty"] == "invoice_number"
    assert "invoice_number" in invoice["searchableProperties"]
    assert [a["toObjectTypeId"] for a in invoice["associations"]] == ["0-2"]
    order = {p["name"]: p for p in schemas["accredo_order"]["properties"]}
    assert order[ORDER_ID_PROPERTY]["hasUniqueValue"] is True
    company = {
        p["name"] for p in hubspot_api(enterprise, "GET", "/crm/v3/properties/companies")["results"]
    }
    assert {p.name for p in ORDER_ROLLUP_PROPERTIES} <= company
    assert not {p.name for p in SUMMARY_PROPERTIES} & company


async def test_running_again_changes_nothing(enterprise: BackgroundServer) -> None:
    async with HubSpotClient(DEMO_TOKEN, base_url=enterprise.url) as hubspot:
        await run_setup(hubspot, load_config(None))
        before = sim_stats(enterprise)["writes"]
        again = await run_setup(hubspot, load_config(None))
    assert sim_stats(enterprise)["writes"] == before
    assert again.objects.created == []
    assert again.objects.kept == ["accredo_invoice", "accredo_order"]


async def test_a_differing_schema_is_reported_not_altered(enterprise: BackgroundServer) -> None:
    egg = INVOICE_SCHEMA.to_hubspot()
    egg["properties"] = [p for p in egg["properties"] if p["name"] != "days_overdue"]
    egg["searchableProperties"] = ["invoice_number"]
    hubspot_api(enterprise, "POST", "/crm-object-schemas/v3/schemas", egg)
    async with HubSpotClient(DEMO_TOKEN, base_url=enterprise.url) as hubspot:
        before = sim_stats(enterprise)["writes"]
        report = await run_setup(hubspot, load_config(None))
    assert "accredo_invoice: property days_overdue is missing" in report.objects.differences
    assert any("not searchable: accredo_customer_code" in d for d in report.objects.differences)
    schema = hubspot_api(enterprise, "GET", "/crm-object-schemas/v3/schemas/p_accredo_invoice")
    assert "days_overdue" not in {p["name"] for p in schema["properties"]}
    assert report.objects.created == ["accredo_order"]
    # The company properties and the order object only.
    assert sim_stats(enterprise)["writes"] > before


async def test_professional_portal_falls_back_to_company_summary_properties(
    professional: BackgroundServer,
) -> None:
    async with HubSpotClient(DEMO_TOKEN, base_url=professional.url) as hubspot:
        report = await run_setup(hubspot, load_config(None))
    assert not report.objects.custom_objects
    assert "403" in report.objects.refused
    assert hubspot_api(professional, "GET", "/crm-object-schemas/v3/schemas")["results"] == []
    company = {
        p["name"]
        for p in hubspot_api(professional, "GET", "/crm/v3/properties/companies")["results"]
    }
    assert {p.name for p in SUMMARY_PROPERTIES} <= company
    assert "accredo_open_invoice_count" in company


async def test_configuration_turns_custom_objects_off(enterprise: BackgroundServer) -> None:
    text = default_config_text().replace("custom_objects = true", "custom_objects = false")
    async with HubSpotClient(DEMO_TOKEN, base_url=enterprise.url) as hubspot:
        report = await run_setup(hubspot, parse_config(text, "test.toml"))
    assert not report.objects.custom_objects
    assert report.objects.refused == ""
    assert hubspot_api(enterprise, "GET", "/crm-object-schemas/v3/schemas")["results"] == []
