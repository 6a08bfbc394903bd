"""The ``/_sim/`` control surface: seed, user edits, reset, and v3 association reads."""

from __future__ import annotations

from typing import Any


def test_seed_makes_companies_contacts_deals_and_nzbn(sim: Any) -> None:
    answer = sim.http.post(
        "/_sim/seed", json={"seed": 3, "companies": 10, "contacts": 12, "deals": 4}
    )
    assert answer.status_code == 200
    summary = answer.json()
    assert len(summary["companies"]) == 12
    assert len(summary["contacts"]) == 12
    assert len(summary["deals"]) == 4
    nzbn = sim.http.get("/crm/v3/properties/companies/nzbn").json()
    assert (nzbn["type"], nzbn["fieldType"], nzbn["groupName"]) == (
        "string",
        "text",
        "companyinformation",
    )
    companies = sim.http.get(
        "/crm/v3/objects/companies", params={"limit": 100, "properties": "name,domain,nzbn"}
    ).json()["results"]
    with_nzbn = [c for c in companies if c["properties"]["nzbn"]]
    domain_only = [c for c in companies if not c["properties"]["name"]]
    assert with_nzbn and domain_only
    assert all(c["properties"]["domain"] for c in domain_only)
    domains = [c["properties"]["domain"] for c in companies]
    assert len(domains) - len(set(domains)) >= 2
    again = sim.http.post("/_sim/seed", json={"seed": 3, "companies": 10, "contacts": 0})
    assert again.status_code == 200


def test_seed_is_repeatable(sim: Any) -> None:
    def names() -> list[str]:
        sim.http.post("/_sim/reset")
        sim.http.post("/_sim/seed", json={"seed": 11, "companies": 5, "contacts": 0, "deals": 0})
        page = sim.http.get("/crm/v3/objects/companies", params={"limit": 100}).json()
        return [c["properties"]["name"] or "" for c in page["results"]]

    assert names() == names()


def test_user_edits_are_not_api_calls(sim: Any) -> None:
    sim.http.post("/_sim/stats/reset")
    made = sim.http.post("/_sim/objects/contacts", json={"properties": {"email": "u@x.nz"}})
    assert made.status_code == 201
    contact = made.json()["id"]
    edited = sim.http.patch(
        f"/_sim/objects/contacts/{contact}", json={"properties": {"firstname": "Ui"}}
    )
    assert edited.json()["properties"]["firstname"] == "Ui"
    assert sim.stats() == {"requests": 0, "writes": 0, "rate_limited": 0, "by_route": {}}
    history = sim.http.get(
        f"/crm/v3/objects/contacts/{contact}", params={"propertiesWithHistory": "firstname"}
    ).json()["propertiesWithHistory"]["firstname"]
    assert history[0]["sourceType"] == "CRM_UI"


def test_reset_empties_the_portal(sim: Any) -> None:
    sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "x"}})
    sim.http.post("/_sim/reset")
    assert sim.http.get("/crm/v3/objects/companies").json()["results"] == []


def test_v3_associations_on_read(sim: Any) -> None:
    company = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "c"}})
    contact = sim.http.post(
        "/crm/v3/objects/contacts",
        json={
            "properties": {"email": "a@c.nz"},
            "associations": [
                {
                    "to": {"id": company.json()["id"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ],
        },
    )
    assert contact.status_code == 201
    got = sim.http.get(
        f"/crm/v3/objects/companies/{company.json()['id']}", params={"associations": "contacts"}
    ).json()
    assert got["associations"]["contacts"]["results"] == [
        {"id": contact.json()["id"], "type": "company_to_contact_unlabeled"}
    ]
    bad = sim.http.post(
        "/crm/v3/objects/contacts",
        json={
            "properties": {"email": "b@c.nz"},
            "associations": [
                {
                    "to": {"id": "1"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ],
        },
    )
    assert bad.status_code == 400
    assert bad.json()["message"] == "One or more associations are invalid"


def test_labelled_association_and_labels_api(sim: Any) -> None:
    made = sim.http.post(
        "/crm/v4/associations/contacts/companies/labels",
        json={"label": "Billing contact", "name": "billing_contact"},
    )
    assert made.status_code == 200
    type_id = made.json()["results"][0]["typeId"]
    labels = sim.http.get("/crm/v4/associations/contacts/companies/labels").json()["results"]
    assert {"category": "USER_DEFINED", "typeId": type_id, "label": "Billing contact"} in labels
    company = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "c"}})
    contact = sim.http.post("/crm/v3/objects/contacts", json={"properties": {"email": "l@c.nz"}})
    put = sim.http.put(
        f"/crm/v4/objects/contacts/{contact.json()['id']}/associations/companies/"
        f"{company.json()['id']}",
        json=[{"associationCategory": "USER_DEFINED", "associationTypeId": type_id}],
    )
    assert put.status_code == 201
    assert put.json()["labels"] == ["Billing contact"]
    page = sim.http.get(
        f"/crm/v4/objects/contacts/{contact.json()['id']}/associations/companies"
    ).json()
    assert {t["typeId"] for t in page["results"][0]["associationTypes"]} == {279, type_id}


def test_v4_record_associations_page_at_500(sim: Any) -> None:
    portal = sim.state.portal
    source = sim.state.api_source
    company = portal.create(portal.resolve_type("companies"), {"name": "big"}, source)
    contacts = portal.resolve_type("contacts")
    link = portal.associations.default_type("0-2", "0-1")
    for i in range(501):
        contact = portal.create(contacts, {"email": f"c{i}@big.nz"}, source)
        portal.associations.add(("0-2", company.id), ("0-1", contact.id), link)
    path = f"/crm/v4/objects/companies/{company.id}/associations/contacts"
    first = sim.http.get(path).json()
    assert len(first["results"]) == 500
    after = first["paging"]["next"]["after"]
    second = sim.http.get(path, params={"after": after}).json()
    assert len(second["results"]) == 1
    assert "paging" not in second
