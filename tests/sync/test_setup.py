"""``run_setup`` against the HubSpot simulator: the Accredo group and company properties,
created once, corrected when drifted, and a site's own NZBN property left as it is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from accredo_hubspot.hubspot.client import HubSpotClient
from accredo_hubspot.hubspot.errors import HubSpotNotFound
from accredo_hubspot.mapping.config import default_config_text, load_config, parse_config
from accredo_hubspot.mapping.properties import PROPERTY_GROUP, company_properties
from accredo_hubspot.sync.setup import run_setup
from sims.hubspot.app import create_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread
from tests.e2e.world import hubspot_api, sim_stats


@pytest.fixture
def sim() -> Iterator[BackgroundServer]:
    with serve_in_thread(create_app(HubSpotSimConfig(rate_limit=0))) as server:
        yield server


@pytest.fixture
async def hubspot(sim: BackgroundServer) -> AsyncIterator[HubSpotClient]:
    async with HubSpotClient(DEMO_TOKEN, base_url=sim.url) as client:
        yield client


async def test_creates_the_group_and_every_property_with_hubspot_types(
    sim: BackgroundServer, hubspot: HubSpotClient
) -> None:
    config = load_config(None)
    report = await run_setup(hubspot, config)
    wanted = {d.name: d for d in company_properties(config.nzbn_property)}
    deal_risk = ["deal accredo_credit_status", "deal accredo_days_overdue"]
    assert sorted(report.created) == sorted([*wanted, *deal_risk])
    assert report.updated == []
    group = hubspot_api(sim, "GET", f"/crm/v3/properties/companies/groups/{PROPERTY_GROUP.name}")
    assert group["label"] == PROPERTY_GROUP.label
    for name, definition in wanted.items():
        prop = hubspot_api(sim, "GET", f"/crm/v3/properties/companies/{name}")
        assert (prop["type"], prop["fieldType"]) == (definition.type, definition.field_type)
        assert prop["groupName"] == PROPERTY_GROUP.name
        assert prop["label"] and prop["description"]
    code = hubspot_api(sim, "GET", "/crm/v3/properties/companies/accredo_customer_code")
    assert code["hasUniqueValue"] is True
    status = hubspot_api(sim, "GET", "/crm/v3/properties/companies/accredo_credit_status")
    assert status["type"] == "enumeration"
    assert {"ok", "on_stop"} <= {o["value"] for o in status["options"]}
    assert await property_exists(hubspot, "accredo_balance_total")
    assert not await property_exists(hubspot, "accredo_no_such_thing")


async def test_running_twice_changes_nothing(sim: BackgroundServer, hubspot: HubSpotClient) -> None:
    config = load_config(None)
    await run_setup(hubspot, config)
    before = sim_stats(sim)["writes"]
    again = await run_setup(hubspot, config)
    assert (again.created, again.updated) == ([], [])
    assert sim_stats(sim)["writes"] == before


async def test_a_drifted_label_is_put_back(sim: BackgroundServer, hubspot: HubSpotClient) -> None:
    config = load_config(None)
    await run_setup(hubspot, config)
    hubspot_api(
        sim,
        "PATCH",
        "/crm/v3/properties/companies/accredo_credit_limit",
        {"label": "CL (edited by an admin)"},
    )
    report = await run_setup(hubspot, config)
    assert report.updated == ["accredo_credit_limit"]
    prop = hubspot_api(sim, "GET", "/crm/v3/properties/companies/accredo_credit_limit")
    assert prop["label"] != "CL (edited by an admin)"


async def test_a_sites_own_nzbn_property_is_used_as_it_is(
    sim: BackgroundServer, hubspot: HubSpotClient
) -> None:
    own = {
        "name": "tax_business_no",
        "label": "Business number (ours)",
        "type": "string",
        "fieldType": "text",
        "groupName": "companyinformation",
    }
    hubspot_api(sim, "POST", "/crm/v3/properties/companies", own)
    text = default_config_text().replace(
        'nzbn_property = "nzbn"', 'nzbn_property = "tax_business_no"'
    )
    config = parse_config(text, "site.toml")
    assert config.nzbn_property == "tax_business_no"
    report = await run_setup(hubspot, config)
    assert report.kept == ["tax_business_no"]
    assert "tax_business_no" not in report.created + report.updated
    prop = hubspot_api(sim, "GET", "/crm/v3/properties/companies/tax_business_no")
    assert (prop["label"], prop["groupName"]) == (own["label"], own["groupName"])
    assert not await property_exists(hubspot, "nzbn")


async def test_a_property_of_the_wrong_type_stops_setup_naming_it(
    sim: BackgroundServer, hubspot: HubSpotClient
) -> None:
    from accredo_hubspot.hubspot.errors import HubSpotError

    hubspot_api(
        sim,
        "POST",
        "/crm/v3/properties/companies",
        {
            "name": "accredo_credit_limit",
            "label": "Credit limit (text, made by hand)",
            "type": "string",
            "fieldType": "text",
            "groupName": "companyinformation",
        },
    )
    with pytest.raises(HubSpotError, match="accredo_credit_limit"):
        await run_setup(hubspot, load_config(None))
    prop = hubspot_api(sim, "GET", "/crm/v3/properties/companies/accredo_credit_limit")
    assert prop["type"] == "string"  # never dropped and recreated: its values would be lost


async def property_exists(hubspot: HubSpotClient, name: str) -> bool:
    try:
        await hubspot.get_property("companies", name)
    except HubSpotNotFound:
        return False
    return True


async def test_the_deals_get_the_companys_credit_status_and_days_overdue(
    sim: BackgroundServer, hubspot: HubSpotClient
) -> None:
    await run_setup(hubspot, load_config(None))
    status = hubspot_api(sim, "GET", "/crm/v3/properties/deals/accredo_credit_status")
    company = hubspot_api(sim, "GET", "/crm/v3/properties/companies/accredo_credit_status")
    assert (status["type"], status["groupName"]) == ("enumeration", PROPERTY_GROUP.name)
    assert [o["value"] for o in status["options"]] == [o["value"] for o in company["options"]]
    days = hubspot_api(sim, "GET", "/crm/v3/properties/deals/accredo_days_overdue")
    assert (days["type"], days["fieldType"]) == ("number", "number")
