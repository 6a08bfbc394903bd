"""Custom objects as a client meets them: a Professional portal refuses schemas (reference 7,
[assumed] 403 ``MISSING_SCOPES``); batch create carries inline associations (reference 4.1),
checked before anything is written; a unique-value id refuses a second record."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from tests.sims.hubspot.conftest import Sim

SCHEMA = {
    "name": "accredo_invoice",
    "labels": {"singular": "Invoice", "plural": "Invoices"},
    "primaryDisplayProperty": "invoice_number",
    "requiredProperties": ["invoice_number"],
    "properties": [
        {"name": "invoice_number", "label": "Invoice number"},
        {"name": "tid", "label": "Transaction id", "hasUniqueValue": True},
    ],
    "associatedObjects": ["COMPANY"],
}


def _schema(sim: Sim) -> tuple[str, int]:
    answer = sim.http.post("/crm-object-schemas/v3/schemas", json=SCHEMA)
    assert answer.status_code == 201
    body = answer.json()
    (to_company,) = [a for a in body["associations"] if a["toObjectTypeId"] == "0-2"]
    return body["objectTypeId"], int(to_company["id"])


def _company(sim: Sim) -> str:
    answer = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "Acme"}})
    company_id: str = answer.json()["id"]
    return company_id


def _link(to_id: str, type_id: int) -> dict[str, Any]:
    """The simulator's custom-object-to-company type is USER_DEFINED, read from its labels."""
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": type_id}],
    }


def test_a_professional_portal_refuses_schema_creation(
    make_sim: Callable[..., AbstractContextManager[Sim]],
) -> None:
    with make_sim(tier="professional") as sim:
        answer = sim.http.post("/crm-object-schemas/v3/schemas", json=SCHEMA)
        assert answer.status_code == 403
        body = answer.json()
        assert body["category"] == "MISSING_SCOPES"
        assert body["status"] == "error" and body["correlationId"]
        assert sim.http.get("/crm-object-schemas/v3/schemas").json()["results"] == []


def test_batch_create_associates_each_new_record_inline(sim: Sim) -> None:
    type_id, to_company = _schema(sim)
    company = _company(sim)
    inputs = [
        {
            "properties": {"invoice_number": f"INV{i}", "tid": str(i)},
            "associations": [_link(company, to_company)],
        }
        for i in range(3)
    ]
    answer = sim.http.post(f"/crm/v3/objects/{type_id}/batch/create", json={"inputs": inputs})
    assert answer.status_code == 201
    created = {r["id"] for r in answer.json()["results"]}
    linked = sim.http.get(f"/crm/v4/objects/companies/{company}/associations/{type_id}").json()
    assert {str(r["toObjectId"]) for r in linked["results"]} == created


def test_an_invalid_inline_association_fails_only_its_input_when_traced(sim: Sim) -> None:
    type_id, to_company = _schema(sim)
    company = _company(sim)
    inputs = [
        {
            "properties": {"invoice_number": "INV1", "tid": "1"},
            "associations": [_link(company, to_company)],
            "objectWriteTraceId": "1",
        },
        {
            "properties": {"invoice_number": "INV2", "tid": "2"},
            "associations": [_link("999999", to_company)],
            "objectWriteTraceId": "2",
        },
    ]
    answer = sim.http.post(f"/crm/v3/objects/{type_id}/batch/create", json={"inputs": inputs})
    assert answer.status_code == 207
    body = answer.json()
    assert [r["properties"]["invoice_number"] for r in body["results"]] == ["INV1"]
    assert body["errors"][0]["context"]["objectWriteTraceId"] == ["2"]
    untraced = [{k: v for k, v in i.items() if k != "objectWriteTraceId"} for i in inputs[1:]]
    whole = sim.http.post(f"/crm/v3/objects/{type_id}/batch/create", json={"inputs": untraced})
    assert whole.status_code == 400


def test_a_second_create_with_the_unique_id_is_refused(sim: Sim) -> None:
    type_id, _ = _schema(sim)
    inputs = [{"properties": {"invoice_number": "INV1", "tid": "7"}}]
    first = sim.http.post(f"/crm/v3/objects/{type_id}/batch/create", json={"inputs": inputs})
    assert first.status_code == 201
    again = sim.http.post(f"/crm/v3/objects/{type_id}/batch/create", json={"inputs": inputs})
    assert again.status_code == 400
    assert "already has that value" in again.json()["message"]


def test_a_schema_without_required_properties_is_refused(sim: Sim) -> None:
    """Reference 7: ``ObjectSchemaEgg`` requires ``requiredProperties`` (an empty list will
    do); a schema leaving it out is a 400, not a schema with none."""
    body = {k: v for k, v in SCHEMA.items() if k != "requiredProperties"}
    answer = sim.http.post("/crm-object-schemas/v3/schemas", json=body)
    assert answer.status_code == 400
    assert answer.json()["message"] == "Some required fields were not set: [requiredProperties]"
    assert answer.json()["context"] == {"missingFields": ["requiredProperties"]}
    assert (
        sim.http.post(
            "/crm-object-schemas/v3/schemas", json={**body, "requiredProperties": []}
        ).status_code
        == 201
    )


def test_an_inline_association_needs_its_types(sim: Sim) -> None:
    """Reference 4.1: each create ``associations`` item is ``{to:{id}, types:[…]}``; one
    without types is refused, not skipped with its target unchecked."""
    for item in ({"to": {"id": "999999"}}, {"to": {"id": "999999"}, "types": []}):
        answer = sim.http.post(
            "/crm/v3/objects/contacts",
            json={"properties": {"email": "a@b.co.nz"}, "associations": [item]},
        )
        assert answer.status_code == 400
        assert answer.json()["message"] == "Some required fields were not set: [types]"
    listed = sim.http.get("/crm/v3/objects/contacts").json()
    assert listed["results"] == []


def test_a_schema_property_that_is_no_definition_is_refused(sim: Sim) -> None:
    """Reference 7: a schema's ``properties`` are property definitions; one that is not an
    object is a 400, not silently dropped from the schema."""
    body = {**SCHEMA, "properties": [*SCHEMA["properties"], "amount_due"]}
    answer = sim.http.post("/crm-object-schemas/v3/schemas", json=body)
    assert answer.status_code == 400
    assert answer.json()["message"] == "properties must be a list of property definitions"
    assert sim.http.get("/crm-object-schemas/v3/schemas").json()["results"] == []


def test_a_portal_holds_at_most_its_limit_of_custom_objects(
    make_sim: Callable[..., AbstractContextManager[Sim]],
) -> None:
    """Reference 7 ([assumed] setting): custom object types are limited per portal (10 by
    default); the schema past the limit is refused and not created."""
    with make_sim(max_custom_objects=2) as sim:
        for name in ("first_object", "second_object"):
            made = sim.http.post("/crm-object-schemas/v3/schemas", json={**SCHEMA, "name": name})
            assert made.status_code == 201
        answer = sim.http.post("/crm-object-schemas/v3/schemas", json={**SCHEMA, "name": "third"})
        assert answer.status_code == 400
        assert answer.json()["message"] == (
            "This portal already has the maximum number of custom object types (2)."
        )
        assert len(sim.http.get("/crm-object-schemas/v3/schemas").json()["results"]) == 2
