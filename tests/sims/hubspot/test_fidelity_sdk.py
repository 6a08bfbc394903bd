"""Fidelity: HubSpot's official SDK (hubspot-api-client 12.0.0) drives the simulator, and every
answer must deserialise into the SDK's generated models without error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.companies import ApiException as CompanyApiException
from hubspot.crm.companies import (
    BatchResponseSimplePublicObjectWithErrors,
    BatchResponseSimplePublicUpsertObject,
    CollectionResponseWithTotalSimplePublicObjectForwardPaging,
    SimplePublicObject,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts import ApiException as ContactApiException
from hubspot.crm.objects.exceptions import NotFoundException

from hubspot import HubSpot
from sims.hubspot.config import DEMO_TOKEN


@pytest.fixture
def client(sim: Any) -> HubSpot:
    return HubSpot(access_token=DEMO_TOKEN, host=sim.url)


UNIQUE_PROPERTY = {
    "name": "accredo_customer_code",
    "label": "Accredo customer code",
    "type": "string",
    "fieldType": "text",
    "groupName": "companyinformation",
    "hasUniqueValue": True,
}


def test_create_read_update_archive(client: HubSpot) -> None:
    api = client.crm.companies.basic_api
    made = api.create(
        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
            properties={"name": "Kauri Timber", "domain": "kauri.co.nz", "numberofemployees": 12}
        )
    )
    assert isinstance(made, SimplePublicObject)
    assert made.id.isdigit()
    assert made.properties["hs_object_id"] == made.id
    assert made.properties["numberofemployees"] == "12"
    assert made.created_at == made.updated_at
    read = api.get_by_id(made.id, properties=["name", "domain"])
    assert read.properties["name"] == "Kauri Timber"
    assert set(read.properties) == {
        "name",
        "domain",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }
    changed = api.update(made.id, simple_public_object_input={"properties": {"name": "Kauri Ltd"}})
    assert changed.properties["name"] == "Kauri Ltd"
    api.archive(made.id)
    with pytest.raises(CompanyApiException) as caught:
        api.get_by_id(made.id)
    assert caught.value.status == 404
    assert json.loads(caught.value.body)["category"] == "OBJECT_NOT_FOUND"


def test_unique_property_and_batch_upsert(client: HubSpot) -> None:
    created = client.crm.properties.core_api.create("companies", property_create=UNIQUE_PROPERTY)
    assert created.has_unique_value is True
    assert created.modification_metadata.read_only_value is False
    fetched = client.crm.properties.core_api.get_by_name("companies", "accredo_customer_code")
    assert fetched.group_name == "companyinformation"
    inputs = [
        {"id": f"D{i:03d}", "idProperty": "accredo_customer_code", "properties": {"name": f"D {i}"}}
        for i in range(5)
    ]
    first = client.crm.companies.batch_api.upsert(
        batch_input_simple_public_object_batch_input_upsert={"inputs": inputs}
    )
    assert isinstance(first, BatchResponseSimplePublicUpsertObject)
    assert first.status == "COMPLETE"
    assert [r.new for r in first.results] == [True] * 5
    second = client.crm.companies.batch_api.upsert(
        batch_input_simple_public_object_batch_input_upsert={"inputs": inputs}
    )
    assert [r.new for r in second.results] == [False] * 5
    assert {r.id for r in first.results} == {r.id for r in second.results}


def test_search_with_paging(client: HubSpot) -> None:
    batch = client.crm.companies.batch_api
    batch.create(
        batch_input_simple_public_object_batch_input_for_create={
            "inputs": [
                {"properties": {"name": f"Search {i}", "numberofemployees": i}} for i in range(7)
            ]
        }
    )
    page = client.crm.companies.search_api.do_search(
        public_object_search_request={
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "numberofemployees", "operator": "GTE", "value": "2"}
                    ]
                }
            ],
            "sorts": [{"propertyName": "numberofemployees", "direction": "DESCENDING"}],
            "properties": ["name", "numberofemployees"],
            "limit": 3,
        }
    )
    assert isinstance(page, CollectionResponseWithTotalSimplePublicObjectForwardPaging)
    assert page.total == 5
    assert [r.properties["numberofemployees"] for r in page.results] == ["6", "5", "4"]
    assert page.paging.next.after == "3"


def test_custom_object_schema_and_records(client: HubSpot) -> None:
    schema = client.crm.schemas.core_api.create(
        object_schema_egg={
            "name": "accredo_invoice",
            "labels": {"singular": "Invoice", "plural": "Invoices"},
            "primaryDisplayProperty": "invoice_number",
            "requiredProperties": ["invoice_number"],
            "searchableProperties": ["invoice_number"],
            "properties": [
                {"name": "invoice_number", "label": "Invoice number", "type": "string",
                 "fieldType": "text", "hasUniqueValue": True},
                {"name": "amount_due", "label": "Amount due", "type": "number",
                 "fieldType": "number"},
            ],
            "associatedObjects": ["COMPANY"],
        }
    )  # fmt: skip
    assert schema.object_type_id.startswith("2-")
    assert schema.fully_qualified_name == "p99999999_accredo_invoice"
    listed = client.crm.schemas.core_api.get_all()
    assert [s.object_type_id for s in listed.results] == [schema.object_type_id]
    api = client.crm.objects.basic_api
    made = api.create(
        schema.object_type_id,
        simple_public_object_input_for_create={
            "properties": {"invoice_number": "INV-1", "amount_due": "12.50"}
        },
    )
    assert made.properties["hs_createdate"]
    for alias in (schema.object_type_id, "p_accredo_invoice", schema.fully_qualified_name):
        assert (
            api.get_by_id(alias, made.id, properties=["amount_due"]).properties["amount_due"]
            == "12.50"
        )
    upserted = client.crm.objects.batch_api.upsert(
        "p_accredo_invoice",
        batch_input_simple_public_object_batch_input_upsert={
            "inputs": [
                {"id": "INV-1", "idProperty": "invoice_number", "properties": {"amount_due": 3}}
            ]
        },
    )
    assert upserted.results[0].id == made.id
    with pytest.raises(NotFoundException):
        api.get_by_id(schema.object_type_id, "999")


def test_associations_v4(client: HubSpot) -> None:
    company = client.crm.companies.basic_api.create(
        simple_public_object_input_for_create={"properties": {"name": "Assoc Co"}}
    )
    contact = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": {"email": "a@assoc.co.nz"}}
    )
    v4 = client.crm.associations.v4
    default = v4.basic_api.create_default("contacts", contact.id, "companies", company.id)
    assert default.results[0].association_spec.association_type_id == 279
    labelled = v4.basic_api.create(
        "contacts",
        contact.id,
        "companies",
        company.id,
        association_spec=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
    )
    assert labelled.labels == ["Primary"]
    page = v4.basic_api.get_page("companies", company.id, "contacts")
    assert page.results[0].to_object_id == contact.id
    assert {t.type_id for t in page.results[0].association_types} == {2, 280}
    deal = client.crm.deals.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {"dealname": "Big one", "dealstage": "closedwon", "amount": "100"}
        }
    )
    assert deal.properties["pipeline"] == "default"
    made = v4.batch_api.create(
        "deals",
        "companies",
        batch_input_public_association_multi_post={
            "inputs": [
                {"from": {"id": deal.id}, "to": {"id": company.id},
                 "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]}
            ]
        },
    )  # fmt: skip
    assert made.results[0].labels == ["Primary"]
    read = v4.batch_api.get_page(
        "companies",
        "deals",
        batch_input_public_fetch_associations_batch_request={"inputs": [{"id": company.id}]},
    )
    assert read.results[0].to[0].to_object_id == deal.id


def test_owners_and_pipelines(client: HubSpot) -> None:
    owners = client.crm.owners.owners_api.get_page()
    assert owners.results and owners.results[0].type == "PERSON"
    pipelines = client.crm.pipelines.pipelines_api.get_all("deals")
    stages = [s.id for s in pipelines.results[0].stages]
    assert "closedwon" in stages
    assert pipelines.results[0].id == "default"


def test_error_case_conflict_body(client: HubSpot) -> None:
    api = client.crm.contacts.basic_api
    first = api.create(simple_public_object_input_for_create={"properties": {"email": "x@y.nz"}})
    with pytest.raises(ContactApiException) as caught:
        api.create(simple_public_object_input_for_create={"properties": {"email": "X@y.nz"}})
    assert caught.value.status == 409
    body = json.loads(caught.value.body)
    assert body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {first.id}"
    assert caught.value.headers["x-hubspot-correlation-id"] == body["correlationId"]


def test_batch_read_missing_id_is_207_model(client: HubSpot) -> None:
    made = client.crm.companies.basic_api.create(
        simple_public_object_input_for_create={"properties": {"name": "Here"}}
    )
    answer = client.crm.companies.batch_api.read(
        batch_read_input_simple_public_object_id={
            "inputs": [{"id": made.id}, {"id": "123"}],
            "properties": ["name"],
            "propertiesWithHistory": [],
        }
    )
    assert isinstance(answer, BatchResponseSimplePublicObjectWithErrors)
    assert answer.num_errors == 1
    assert answer.errors[0].category == "OBJECT_NOT_FOUND"
    assert answer.errors[0].context == {"ids": ["123"]}
