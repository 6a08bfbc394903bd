"""Properties, groups and a new portal's defaults (reference 6)."""

from __future__ import annotations

from typing import Any


def _prop(name: str, **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "label": name.title(),
        "type": "string",
        "fieldType": "text",
        "groupName": "companyinformation",
        **more,
    }


def test_new_portal_defaults(sim: Any) -> None:
    groups = {
        g["name"] for g in sim.http.get("/crm/v3/properties/companies/groups").json()["results"]
    }
    assert "companyinformation" in groups
    props = {p["name"]: p for p in sim.http.get("/crm/v3/properties/companies").json()["results"]}
    for name in ("name", "domain", "phone", "city", "lifecyclestage", "hubspot_owner_id"):
        assert name in props
    assert props["lifecyclestage"]["type"] == "enumeration"
    assert props["hs_object_id"]["modificationMetadata"]["readOnlyValue"] is True
    assert props["createdate"]["type"] == "datetime"
    deals = {p["name"]: p for p in sim.http.get("/crm/v3/properties/deals").json()["results"]}
    assert deals["closedate"]["type"] == "datetime"
    assert deals["amount"]["type"] == "number"
    contacts = sim.http.get("/crm/v3/properties/contacts/lastmodifieddate")
    assert contacts.json()["modificationMetadata"]["readOnlyValue"] is True


def test_type_and_field_type_must_fit(sim: Any) -> None:
    bad = _prop("x", type="number", fieldType="text")
    assert sim.http.post("/crm/v3/properties/companies", json=bad).status_code == 400
    good = _prop("y", type="bool", fieldType="booleancheckbox")
    assert sim.http.post("/crm/v3/properties/companies", json=good).status_code == 201


def test_existing_name_is_409(sim: Any) -> None:
    assert sim.http.post("/crm/v3/properties/companies", json=_prop("z")).status_code == 201
    again = sim.http.post("/crm/v3/properties/companies", json=_prop("z"))
    assert again.status_code == 409
    assert again.json()["category"] == "OBJECT_ALREADY_EXISTS"
    assert sim.http.post("/crm/v3/properties/companies", json=_prop("name")).status_code == 409


def test_at_most_ten_unique_properties(sim: Any) -> None:
    for i in range(10):
        made = sim.http.post(
            "/crm/v3/properties/companies", json=_prop(f"u{i}", hasUniqueValue=True)
        )
        assert made.status_code == 201
    over = sim.http.post("/crm/v3/properties/companies", json=_prop("u10", hasUniqueValue=True))
    assert over.status_code == 400


def test_update_and_archive(sim: Any) -> None:
    sim.http.post("/crm/v3/properties/companies", json=_prop("tier", hasUniqueValue=False))
    patched = sim.http.patch("/crm/v3/properties/companies/tier", json={"label": "Price tier"})
    assert patched.json()["label"] == "Price tier"
    refused = sim.http.patch("/crm/v3/properties/companies/tier", json={"hasUniqueValue": True})
    assert refused.status_code == 400
    assert sim.http.delete("/crm/v3/properties/companies/tier").status_code == 204
    assert sim.http.get("/crm/v3/properties/companies/tier").status_code == 404
    assert sim.http.delete("/crm/v3/properties/companies/name").status_code == 400


def test_groups(sim: Any) -> None:
    made = sim.http.post(
        "/crm/v3/properties/companies/groups", json={"name": "accredo", "label": "Accredo"}
    )
    assert made.status_code == 201
    assert made.json() == {
        "name": "accredo",
        "label": "Accredo",
        "displayOrder": -1,
        "archived": False,
    }
    dup = sim.http.post(
        "/crm/v3/properties/companies/groups", json={"name": "accredo", "label": "Accredo"}
    )
    assert dup.status_code == 409
    assert (
        sim.http.post(
            "/crm/v3/properties/companies", json=_prop("code", groupName="accredo")
        ).status_code
        == 201
    )
