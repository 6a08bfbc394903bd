"""Contacts as HubSpot keeps them (reference 2.1, 2.3, 4.4, 5), driven by the official SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.contacts import ApiException

from hubspot import HubSpot
from sims.hubspot.config import DEMO_TOKEN


@pytest.fixture
def client(sim: Any) -> HubSpot:
    return HubSpot(access_token=DEMO_TOKEN, host=sim.url)


def _create(client: HubSpot, props: dict[str, str]) -> str:
    made = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": props}
    )
    return str(made.id)


def _refused(client: HubSpot, props: dict[str, str]) -> ApiException:
    with pytest.raises(ApiException) as caught:
        _create(client, props)
    return caught.value


@pytest.mark.parametrize(
    "email", ["x@example.comtttt", "x@example.test", "x@localhost", "x@kauri.co.nzz", "x@kauri."]
)
def test_an_email_without_a_real_top_level_domain_is_refused(client: HubSpot, email: str) -> None:
    refused = _refused(client, {"email": email})
    assert refused.status == 400
    body = json.loads(refused.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"] == [
        {
            "message": f"Email address {email} is invalid",
            "code": "INVALID_EMAIL",
            "context": {"propertyName": ["email"]},
        }
    ]


@pytest.mark.parametrize(
    "email", ["a@kauri.co.nz", "b@Gmail.COM", "c@timber.kiwi", "d@mail.example.com.au"]
)
def test_real_top_level_domains_are_accepted(client: HubSpot, email: str) -> None:
    assert _create(client, {"email": email}).isdigit()


def test_two_new_inputs_of_one_batch_sharing_an_email_are_a_conflict(client: HubSpot) -> None:
    with pytest.raises(ApiException) as caught:
        client.crm.contacts.batch_api.create(
            batch_input_simple_public_object_batch_input_for_create={
                "inputs": [
                    {"properties": {"email": "twin@kauri.co.nz", "firstname": "One"}},
                    {"properties": {"email": "Twin@Kauri.co.nz", "firstname": "Two"}},
                ]
            }
        )
    assert caught.value.status == 409
    body = json.loads(caught.value.body)
    assert body["category"] == "CONFLICT"
    assert body["message"].startswith("Contact already exists.")
    assert client.crm.contacts.basic_api.get_page().results == []


def test_gdpr_delete_is_permanent_and_drops_the_links(client: HubSpot, sim: Any) -> None:
    company = client.crm.companies.basic_api.create(
        simple_public_object_input_for_create={"properties": {"name": "Forgotten Ltd"}}
    ).id
    contact = _create(client, {"email": "gone@forgotten.co.nz", "firstname": "Gone"})
    client.crm.associations.v4.basic_api.create_default("contacts", contact, "companies", company)
    client.crm.contacts.basic_api.purge(public_gdpr_delete_input={"objectId": contact})
    for archived in (False, True):
        with pytest.raises(ApiException) as caught:
            client.crm.contacts.basic_api.get_by_id(contact, archived=archived)
        assert caught.value.status == 404
    counted = client.crm.companies.basic_api.get_by_id(
        company, properties=["num_associated_contacts"], associations=["contacts"]
    )
    assert counted.properties["num_associated_contacts"] == "0"
    assert counted.associations is None
    again = _create(client, {"email": "gone@forgotten.co.nz"})
    assert again != contact
    by_email = sim.http.post(
        "/crm/v3/objects/contacts/gdpr-delete",
        json={"objectId": "nobody@forgotten.co.nz", "idProperty": "email"},
    )
    assert by_email.status_code == 204
    blocked = _refused(client, {"email": "Nobody@forgotten.co.nz"})
    assert json.loads(blocked.body)["errors"][0]["code"] == "INVALID_EMAIL"
    missing = sim.http.post("/crm/v3/objects/contacts/gdpr-delete", json={"objectId": "404"})
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_a_user_restores_an_archived_contact_with_its_id(client: HubSpot, sim: Any) -> None:
    contact = _create(client, {"email": "back@kauri.co.nz"})
    client.crm.contacts.basic_api.archive(contact)
    restored = sim.http.post(f"/_sim/objects/contacts/{contact}/restore")
    assert restored.status_code == 200
    assert restored.json()["id"] == contact
    assert restored.json()["archived"] is False
    read = client.crm.contacts.basic_api.get_by_id("back@kauri.co.nz", id_property="email")
    assert read.id == contact
    assert sim.http.post(f"/_sim/objects/contacts/{contact}/restore").status_code == 404


def test_a_restore_whose_email_was_taken_meanwhile_is_a_conflict(client: HubSpot, sim: Any) -> None:
    contact = _create(client, {"email": "taken@kauri.co.nz"})
    client.crm.contacts.basic_api.archive(contact)
    newer = _create(client, {"email": "taken@kauri.co.nz"})
    refused = sim.http.post(f"/_sim/objects/contacts/{contact}/restore")
    assert refused.status_code == 409
    assert refused.json()["message"] == f"Contact already exists. Existing ID: {newer}"


def test_a_merged_away_email_still_finds_the_survivor(client: HubSpot) -> None:
    keep = _create(client, {"email": "main@kauri.co.nz"})
    other = _create(client, {"email": "old@kauri.co.nz"})
    survivor = client.crm.contacts.basic_api.merge(
        public_merge_input={"primaryObjectId": keep, "objectIdToMerge": other}
    )
    assert survivor.properties["hs_additional_emails"] == "old@kauri.co.nz"
    by_email = client.crm.contacts.basic_api.get_by_id("OLD@kauri.co.nz", id_property="email")
    assert by_email.id == survivor.id
    batch = client.crm.contacts.batch_api.read(
        batch_read_input_simple_public_object_id={
            "inputs": [{"id": "old@kauri.co.nz"}],
            "idProperty": "email",
            "properties": ["email"],
            "propertiesWithHistory": [],
        }
    )
    assert [r.id for r in batch.results] == [survivor.id]
    for op in ({"operator": "EQ", "value": "old@kauri.co.nz"},
               {"operator": "IN", "values": ["old@kauri.co.nz"]}):  # fmt: skip
        found = client.crm.contacts.search_api.do_search(
            public_object_search_request={
                "filterGroups": [{"filters": [{"propertyName": "email", **op}]}]
            }
        )
        assert [r.id for r in found.results] == [survivor.id]
    upserted = client.crm.contacts.batch_api.upsert(
        batch_input_simple_public_object_batch_input_upsert={
            "inputs": [
                {"id": "old@kauri.co.nz", "idProperty": "email", "properties": {"jobtitle": "x"}}
            ]
        }
    )
    assert [(r.id, r.new) for r in upserted.results] == [(survivor.id, False)]


def test_with_trace_ids_the_second_of_two_shared_emails_fails_alone(sim: Any) -> None:
    answer = sim.http.post(
        "/crm/v3/objects/contacts/batch/create",
        json={
            "inputs": [
                {"properties": {"email": "pair@kauri.co.nz"}, "objectWriteTraceId": "a"},
                {"properties": {"email": "PAIR@kauri.co.nz"}, "objectWriteTraceId": "b"},
            ]
        },
    )
    assert answer.status_code == 207
    body = answer.json()
    assert [r["objectWriteTraceId"] for r in body["results"]] == ["a"]
    (error,) = body["errors"]
    assert error["category"] == "CONFLICT"
    assert error["context"] == {"objectWriteTraceId": ["b"]}
