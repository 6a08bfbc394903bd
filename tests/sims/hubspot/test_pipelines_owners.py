"""Pipelines and owners (reference 9, 10), driven by the official SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.deals import ApiException as DealApiException
from hubspot.crm.owners import PublicOwner
from hubspot.crm.pipelines import ApiException, Pipeline

from hubspot import HubSpot
from sims.hubspot.config import DEMO_TOKEN

STAGES = [
    {"label": "Quoted", "displayOrder": 0, "metadata": {"probability": "0.3"}},
    {"label": "Won", "displayOrder": 1, "metadata": {"isClosed": "true", "probability": "1"}},
]


@pytest.fixture
def client(sim: Any) -> HubSpot:
    return HubSpot(access_token=DEMO_TOKEN, host=sim.url)


def _create(client: HubSpot, label: str, stages: list[dict[str, Any]] = STAGES) -> Pipeline:
    return client.crm.pipelines.pipelines_api.create(
        "deals", pipeline_input={"label": label, "displayOrder": 1, "stages": stages}
    )


def test_a_created_pipeline_takes_deals(client: HubSpot) -> None:
    made = _create(client, "Wholesale")
    assert isinstance(made, Pipeline)
    assert made.id.isdigit() and made.id != "default"
    assert [s.label for s in made.stages] == ["Quoted", "Won"]
    assert all(s.id.isdigit() for s in made.stages)
    listed = client.crm.pipelines.pipelines_api.get_all("deals")
    assert [p.id for p in listed.results] == ["default", made.id]
    won = made.stages[1].id
    deal = client.crm.deals.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {"dealname": "Bulk", "pipeline": made.id, "dealstage": won}
        }
    )
    assert deal.properties["hs_is_closed_won"] == "true"
    with pytest.raises(DealApiException) as caught:
        client.crm.deals.basic_api.create(
            simple_public_object_input_for_create={
                "properties": {"dealname": "Wrong", "pipeline": made.id, "dealstage": "closedwon"}
            }
        )
    assert caught.value.status == 400
    options = client.crm.properties.core_api.get_by_name("deals", "dealstage").options
    assert won in {o.value for o in options}


def test_pipeline_rules(client: HubSpot) -> None:
    _create(client, "Wholesale")
    with pytest.raises(ApiException) as caught:
        _create(client, "wholesale")
    assert caught.value.status == 409
    with pytest.raises(ApiException) as caught:
        _create(client, "Retail", [{"label": "Odd", "displayOrder": 0, "metadata": {}}])
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"
    with pytest.raises(ApiException) as caught:
        _create(client, "Retail", [{"label": "Odd", "displayOrder": 0,
                                    "metadata": {"probability": "2"}}])  # fmt: skip
    assert caught.value.status == 400


def test_a_pipeline_in_use_is_kept_when_asked_to_validate(client: HubSpot) -> None:
    made = _create(client, "Projects")
    deal = client.crm.deals.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {"dealname": "P", "pipeline": made.id, "dealstage": made.stages[0].id}
        }
    )
    api = client.crm.pipelines.pipelines_api
    with pytest.raises(ApiException) as caught:
        api.archive("deals", made.id, validate_references_before_delete=True)
    body = json.loads(caught.value.body)
    assert body["subCategory"] == "PipelineError.STAGE_ID_IN_USE"
    assert body["context"]["objectIds"] == [f"[{deal.id}]"]
    api.archive("deals", made.id)
    assert [p.id for p in api.get_all("deals").results] == ["default"]
    with pytest.raises(ApiException) as caught:
        api.get_by_id("deals", made.id)
    assert caught.value.status == 404


def test_a_user_adds_an_owner(client: HubSpot, sim: Any) -> None:
    answer = sim.http.post(
        "/_sim/owners",
        json={"email": "tama.sales@example.co.nz", "firstName": "Tama", "lastName": "Rewi"},
    )
    assert answer.status_code == 201
    owner = answer.json()
    (found,) = client.crm.owners.owners_api.get_page(email="tama.sales@example.co.nz").results
    assert isinstance(found, PublicOwner)
    assert (found.id, found.first_name, found.last_name, found.type, found.archived) == (
        owner["id"],
        "Tama",
        "Rewi",
        "PERSON",
        False,
    )
    assert found.user_id == owner["userId"] == owner["userIdIncludingInactive"]
    assert client.crm.owners.owners_api.get_by_id(owner["id"]).email == owner["email"]
    others = sim.http.get("/crm/v3/owners").json()["results"][:-1]
    assert owner["id"] not in {o["id"] for o in others}
    assert owner["userId"] not in {o["userId"] for o in others}
    company = client.crm.companies.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {"name": "Owned", "hubspot_owner_id": owner["id"]}
        }
    )
    assert company.properties["hubspot_owner_id"] == owner["id"]
    again = sim.http.post("/_sim/owners", json={"email": "TAMA.sales@example.co.nz"})
    assert again.status_code == 409
    assert sim.http.post("/_sim/owners", json={"email": "nobody"}).status_code == 400


def test_an_owner_page_of_nothing_is_refused(sim: Any) -> None:
    """Reference 9: owners page with ``limit`` (default 100) and ``after``. ``limit=0``
    answered an empty page whose next cursor was itself, so a client paging on never ended;
    it is a 400, as a negative ``after`` is."""
    for params in ({"limit": 0}, {"limit": -1}, {"after": -1}):
        answer = sim.http.get("/crm/v3/owners", params=params)
        assert answer.status_code == 400, params
        assert answer.json()["category"] == "VALIDATION_ERROR"
    assert sim.http.get("/crm/v3/owners", params={"limit": 1}).json()["results"]
