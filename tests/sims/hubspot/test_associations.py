"""Associations as HubSpot keeps them (reference 4.2 and 8), driven by the official SDK."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from unittest.mock import ANY

import pytest
from hubspot.crm.associations.v4 import BatchResponsePublicAssociationMultiWithLabelWithErrors

from hubspot import HubSpot
from sims.hubspot.config import DEMO_TOKEN

PRIMARY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}
UNLABELED = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@pytest.fixture
def client(sim: Any) -> HubSpot:
    return HubSpot(access_token=DEMO_TOKEN, host=sim.url)


def _company(client: HubSpot, name: str) -> str:
    made = client.crm.companies.basic_api.create(
        simple_public_object_input_for_create={"properties": {"name": name}}
    )
    return str(made.id)


def _contact(client: HubSpot, email: str) -> str:
    made = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": {"email": email}}
    )
    return str(made.id)


def test_batch_read_reports_inputs_without_associations(client: HubSpot) -> None:
    linked, lonely = _company(client, "Linked"), _company(client, "Lonely")
    contact = _contact(client, "a@linked.co.nz")
    v4 = client.crm.associations.v4
    v4.basic_api.create_default("contacts", contact, "companies", linked)
    read = v4.batch_api.get_page(
        "companies",
        "contacts",
        batch_input_public_fetch_associations_batch_request={
            "inputs": [{"id": linked}, {"id": lonely}]
        },
    )
    assert isinstance(read, BatchResponsePublicAssociationMultiWithLabelWithErrors)
    assert [r._from.id for r in read.results] == [linked]
    assert read.num_errors == 1
    error = read.errors[0].to_dict()
    assert error["category"] == "OBJECT_NOT_FOUND"
    assert error["sub_category"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert error["message"] == f"No contact is associated with company {lonely}."
    assert error["context"] == {
        "fromObjectId": [lonely],
        "fromObjectType": ["company"],
        "toObjectType": ["contact"],
    }


def test_batch_read_with_no_associations_at_all_is_207(sim: Any) -> None:
    company = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "x"}})
    answer = sim.http.post(
        "/crm/v4/associations/companies/deals/batch/read",
        json={"inputs": [{"id": company.json()["id"]}, {"id": "404"}]},
    )
    assert answer.status_code == 207
    body = answer.json()
    assert body["results"] == []
    assert body["numErrors"] == 2
    assert [e["context"]["fromObjectId"] for e in body["errors"]] == [
        [company.json()["id"]],
        ["404"],
    ]


def test_batch_create_replaces_the_labels_between_a_pair(client: HubSpot) -> None:
    company = _company(client, "Relabelled")
    contact = _contact(client, "b@relabelled.co.nz")
    v4 = client.crm.associations.v4
    v4.basic_api.create("contacts", contact, "companies", company, association_spec=[PRIMARY])
    made = v4.batch_api.create(
        "contacts",
        "companies",
        batch_input_public_association_multi_post={
            "inputs": [{"from": {"id": contact}, "to": {"id": company}, "types": [UNLABELED]}]
        },
    )
    assert made.results[0].labels == []
    page = v4.basic_api.get_page("contacts", contact, "companies")
    assert {t.type_id for t in page.results[0].association_types} == {279}


def test_v3_names_a_primary_association_and_its_unlabeled_twin(client: HubSpot) -> None:
    company = _company(client, "Named")
    contact = _contact(client, "c@named.co.nz")
    deal = client.crm.deals.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {"dealname": "D", "dealstage": "qualifiedtobuy"}
        }
    ).id
    v4 = client.crm.associations.v4
    v4.basic_api.create("contacts", contact, "companies", company, association_spec=[PRIMARY])
    v4.basic_api.create_default("deals", deal, "contacts", contact)
    read = client.crm.contacts.basic_api.get_by_id(contact, associations=["companies", "deals"])
    companies = [(r.id, r.type) for r in read.associations["companies"].results]
    assert companies == [
        (company, "contact_to_company"),
        (company, "contact_to_company_unlabeled"),
    ]
    assert [r.type for r in read.associations["deals"].results] == ["contact_to_deal"]


def _read(client: HubSpot, kind: str, object_id: str, props: list[str]) -> Any:
    api = client.crm.contacts if kind == "contacts" else client.crm.companies
    return api.basic_api.get_by_id(object_id, properties=props)


def test_an_association_change_bumps_both_records_and_their_derived_properties(
    client: HubSpot,
) -> None:
    first, second = _company(client, "First"), _company(client, "Second")
    contact = _contact(client, "d@first.co.nz")
    before = {
        "contact": _read(client, "contacts", contact, []).updated_at,
        "company": _read(client, "companies", first, []).updated_at,
    }
    time.sleep(0.01)
    v4 = client.crm.associations.v4
    v4.basic_api.create("contacts", contact, "companies", first, association_spec=[PRIMARY])
    person = _read(client, "contacts", contact, ["associatedcompanyid"])
    company = _read(client, "companies", first, ["num_associated_contacts"])
    assert person.updated_at > before["contact"]
    assert company.updated_at > before["company"]
    assert person.properties["lastmodifieddate"] == iso(person.updated_at)
    assert company.properties["hs_lastmodifieddate"] == iso(company.updated_at)
    assert person.properties["associatedcompanyid"] == first
    assert company.properties["num_associated_contacts"] == "1"

    v4.basic_api.create("contacts", contact, "companies", second, association_spec=[PRIMARY])
    assert _read(client, "contacts", contact, ["associatedcompanyid"]).properties == {
        "associatedcompanyid": second,
        "createdate": person.properties["createdate"],
        "lastmodifieddate": ANY,
        "hs_object_id": contact,
    }
    assert (
        _read(client, "companies", first, ["num_associated_contacts"]).properties[
            "num_associated_contacts"
        ]
        == "1"
    )

    v4.basic_api.archive("contacts", contact, "companies", second)
    v4.basic_api.archive("contacts", contact, "companies", first)
    assert (
        _read(client, "contacts", contact, ["associatedcompanyid"]).properties[
            "associatedcompanyid"
        ]
        is None
    )
    assert (
        _read(client, "companies", first, ["num_associated_contacts"]).properties[
            "num_associated_contacts"
        ]
        == "0"
    )


def test_association_changes_reach_search_on_last_modified(client: HubSpot) -> None:
    company = _company(client, "Polled")
    contact = _contact(client, "e@polled.co.nz")
    since = _read(client, "contacts", contact, []).updated_at
    time.sleep(0.01)
    client.crm.associations.v4.basic_api.create_default("contacts", contact, "companies", company)
    found = client.crm.contacts.search_api.do_search(
        public_object_search_request={
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "lastmodifieddate",
                            "operator": "GT",
                            "value": str(int(since.timestamp() * 1000)),
                        }
                    ]
                }
            ]
        }
    )
    assert [r.id for r in found.results] == [contact]


def test_v3_reads_stop_at_100_ids_and_point_on_to_v4(client: HubSpot, sim: Any) -> None:
    company = _company(client, "Crowded")
    contacts: list[str] = []
    for chunk in range(2):
        made = client.crm.contacts.batch_api.create(
            batch_input_simple_public_object_batch_input_for_create={
                "inputs": [
                    {"properties": {"email": f"p{chunk}-{i}@crowded.co.nz"}} for i in range(60)
                ]
            }
        )
        contacts += [r.id for r in made.results]
        client.crm.associations.v4.batch_api.create_default(
            "contacts",
            "companies",
            batch_input_public_default_association_multi_post={
                "inputs": [{"from": {"id": c}, "to": {"id": company}} for c in contacts[-60:]]
            },
        )
    read = client.crm.companies.basic_api.get_by_id(company, associations=["contacts"])
    linked = read.associations["contacts"]
    assert len(linked.results) == 100
    assert [r.id for r in linked.results] == sorted(contacts, key=int)[:100]
    assert linked.paging.next.after not in ("", "100")  # opaque, as v4 cursors are
    rest = sim.http.get(linked.paging.next.link).json()
    assert [str(r["toObjectId"]) for r in rest["results"]] == sorted(contacts, key=int)[100:]


def test_a_merge_keeps_one_primary_company(client: HubSpot) -> None:
    kept, dropped = _company(client, "Kept"), _company(client, "Dropped")
    main, other = _contact(client, "m@kept.co.nz"), _contact(client, "o@dropped.co.nz")
    v4 = client.crm.associations.v4
    v4.basic_api.create("contacts", main, "companies", kept, association_spec=[PRIMARY])
    v4.basic_api.create("contacts", other, "companies", dropped, association_spec=[PRIMARY])
    v4.basic_api.create_default("contacts", other, "companies", kept)
    survivor = client.crm.contacts.basic_api.merge(
        public_merge_input={"primaryObjectId": main, "objectIdToMerge": other}
    )
    assert survivor.properties["associatedcompanyid"] == kept
    page = v4.basic_api.get_page("contacts", survivor.id, "companies")
    types = {str(r.to_object_id): {t.type_id for t in r.association_types} for r in page.results}
    assert types == {kept: {1, 279}, dropped: {279}}
    for company in (kept, dropped):
        counted = _read(client, "companies", company, ["num_associated_contacts"])
        assert counted.properties["num_associated_contacts"] == "1"
    back = v4.basic_api.get_page("companies", dropped, "contacts")
    assert [
        (str(r.to_object_id), {t.type_id for t in r.association_types}) for r in back.results
    ] == [(survivor.id, {280})]


def test_batch_create_makes_each_inputs_inline_associations(client: HubSpot, sim: Any) -> None:
    """Reference 4.1: a batch create input may carry ``associations``, like a single create;
    a target that does not exist fails that input (207 with its trace id)."""
    company = _company(client, "Harbour Freight")
    created = client.crm.contacts.batch_api.create(
        batch_input_simple_public_object_batch_input_for_create={
            "inputs": [
                {
                    "properties": {"email": "ana@harbour.co.nz"},
                    "associations": [{"to": {"id": company}, "types": [PRIMARY]}],
                    "objectWriteTraceId": "ana",
                },
                {
                    "properties": {"email": "ben@harbour.co.nz"},
                    "associations": [{"to": {"id": "999"}, "types": [PRIMARY]}],
                    "objectWriteTraceId": "ben",
                },
            ]
        }
    )
    (ana,) = created.results
    assert ana.properties["associatedcompanyid"] == company
    (error,) = created.errors
    assert error.message == "One or more associations are invalid"
    assert error.context["objectWriteTraceId"] == ["ben"]


def test_a_user_may_add_a_contact_on_a_companys_page(client: HubSpot, sim: Any) -> None:
    company = _company(client, "Kauri Traders")
    answer = sim.http.post(
        "/_sim/objects/contacts",
        json={
            "properties": {"email": "user@kauri.co.nz"},
            "associations": [{"to": {"id": company}, "types": [PRIMARY]}],
        },
    )
    assert answer.status_code == 201
    assert answer.json()["properties"]["associatedcompanyid"] == company


def test_a_v4_page_over_500_is_refused_not_cut(client: HubSpot, sim: Any) -> None:
    """Reference 8: a record's v4 association page has limit default and max 500; a larger
    limit is a 400, not a silent page of 500 (as the object lists refuse over 100)."""
    company = _company(client, "Acme")
    path = f"/crm/v4/objects/companies/{company}/associations/contacts"
    answer = sim.http.get(path, params={"limit": 501})
    assert answer.status_code == 400
    assert answer.json()["message"] == "limit must be less than or equal to 500, but was 501"
    assert sim.http.get(path, params={"limit": 500}).json() == {"results": []}


def test_v4_batch_inputs_of_the_wrong_shape_are_400_and_nothing_written(
    client: HubSpot, sim: Any
) -> None:
    """Reference 8: batch create/default/labels inputs are ``{from:{id}, to:{id}, types?}``
    and batch archive's ``{from:{id}, to:[{id}]}``. Another shape (archive's ``to`` as one
    object, a type id that is no number, an input that is no object) is a 400 and nothing of
    the call is written; it was a 500 (which a client retries) or half a batch applied."""
    contact = _contact(client, "a@b.co.nz")
    company = _company(client, "Acme")
    pair = "/crm/v4/associations/contacts/companies"
    good = {"from": {"id": contact}, "to": {"id": company}}
    bad_calls = [
        ("batch/associate/default", {"inputs": [good, "x"]}),
        ("batch/associate/default", {"inputs": [good, {"from": contact, "to": company}]}),
        (
            "batch/create",
            {"inputs": [{**good, "types": [{**UNLABELED, "associationTypeId": "x"}]}]},
        ),
        ("batch/create", {"inputs": [{**good, "types": [UNLABELED]}, {"from": {"id": contact}}]}),
        ("batch/archive", {"inputs": [{"from": {"id": contact}, "to": {"id": company}}]}),
    ]
    for path, body in bad_calls:
        answer = sim.http.post(f"{pair}/{path}", json=body)
        assert answer.status_code == 400, (path, body)
        assert answer.json()["category"] == "VALIDATION_ERROR"
        listed = sim.http.get(f"/crm/v4/objects/contacts/{contact}/associations/companies")
        assert listed.json()["results"] == [], (path, body)
    sim.http.post(f"{pair}/batch/associate/default", json={"inputs": [good]}).raise_for_status()
    archive = {"inputs": [{"from": {"id": contact}, "to": [{"id": company}]}]}
    assert sim.http.post(f"{pair}/batch/archive", json=archive).status_code == 204


def test_v4_paging_cursors_are_opaque(client: HubSpot, sim: Any) -> None:
    """Reference 8: the v4 ``after`` is an opaque cursor (``MC0yLTc1MDI`` in its example),
    never an offset: a client must pass back what it was given. A number it made up, as if
    the cursor were an offset, is a 400."""
    company = _company(client, "Acme")
    contacts = [_contact(client, f"c{i}@acme.co.nz") for i in range(3)]
    for contact in contacts:
        client.crm.associations.v4.basic_api.create_default(
            "companies", company, "contacts", contact
        )
    path = f"/crm/v4/objects/companies/{company}/associations/contacts"
    first = sim.http.get(path, params={"limit": 2}).json()
    cursor = first["paging"]["next"]["after"]
    assert not cursor.isdigit()
    rest = sim.http.get(path, params={"limit": 2, "after": cursor}).json()
    assert [str(r["toObjectId"]) for r in first["results"] + rest["results"]] == contacts
    assert sim.http.get(path, params={"limit": 2, "after": "2"}).status_code == 400
    batch = "/crm/v4/associations/companies/contacts/batch/read"
    answer = sim.http.post(batch, json={"inputs": [{"id": company, "after": "2"}]})
    assert answer.status_code == 400


def test_an_inline_association_of_another_types_direction_is_hubspots_400(sim: Any) -> None:
    """Reference 8 (errors on inline associations): a type id that belongs to another object
    type (company-to-contact 280 on a new contact) is a 400 ``invalid from object type 0-2 for
    associations to be created. expected: 0-1``, and no contact is made."""
    company = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "A"}})
    wrong = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 280}
    answer = sim.http.post(
        "/crm/v3/objects/contacts",
        json={
            "properties": {"email": "a@b.co.nz"},
            "associations": [{"to": {"id": company.json()["id"]}, "types": [wrong]}],
        },
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == (
        "invalid from object type 0-2 for associations to be created. expected: 0-1"
    )
    assert sim.http.get("/crm/v3/objects/contacts").json()["results"] == []
