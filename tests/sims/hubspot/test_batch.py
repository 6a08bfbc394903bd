"""Batch semantics: 100-input cap, idempotent upsert, 207 only with trace ids or missing ids."""

from __future__ import annotations

from typing import Any

UNIQUE = {
    "name": "accredo_customer_code",
    "label": "Accredo customer code",
    "type": "string",
    "fieldType": "text",
    "groupName": "companyinformation",
    "hasUniqueValue": True,
}


def _unique_property(sim: Any) -> None:
    assert sim.http.post("/crm/v3/properties/companies", json=UNIQUE).status_code == 201


def _upsert_inputs(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"ACC{i:04d}",
            "idProperty": "accredo_customer_code",
            "properties": {"name": f"Customer {i}", "phone": f"+64 9 555 {i:04d}"},
        }
        for i in range(count)
    ]


def _count_companies(sim: Any) -> int:
    total, after = 0, None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if after:
            params["after"] = after
        page = sim.http.get("/crm/v3/objects/companies", params=params).json()
        total += len(page["results"])
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            return total


def test_upsert_100_twice_leaves_100_companies(sim: Any) -> None:
    _unique_property(sim)
    inputs = _upsert_inputs(100)
    first = sim.http.post("/crm/v3/objects/companies/batch/upsert", json={"inputs": inputs})
    assert first.status_code == 200
    assert all(r["new"] for r in first.json()["results"])
    second = sim.http.post("/crm/v3/objects/companies/batch/upsert", json={"inputs": inputs})
    assert second.status_code == 200
    assert not any(r["new"] for r in second.json()["results"])
    assert _count_companies(sim) == 100


def test_101_inputs_refused_and_nothing_written(sim: Any) -> None:
    _unique_property(sim)
    answer = sim.http.post(
        "/crm/v3/objects/companies/batch/upsert", json={"inputs": _upsert_inputs(101)}
    )
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"
    create = sim.http.post(
        "/crm/v3/objects/companies/batch/create",
        json={"inputs": [{"properties": {"name": str(i)}} for i in range(101)]},
    )
    assert create.status_code == 400
    assert _count_companies(sim) == 0


def test_upsert_by_non_unique_property_is_refused(sim: Any) -> None:
    answer = sim.http.post(
        "/crm/v3/objects/companies/batch/upsert",
        json={"inputs": [{"id": "x.co.nz", "idProperty": "domain", "properties": {}}]},
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == (
        "Unable to perform update/upsert by non-unique 0-2 property domain in portal ID 99999999"
    )


def test_duplicate_ids_fail_the_whole_batch(sim: Any) -> None:
    made = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}}).json()
    answer = sim.http.post(
        "/crm/v3/objects/companies/batch/update",
        json={
            "inputs": [
                {"id": made["id"], "properties": {"name": "b"}, "objectWriteTraceId": "1"},
                {"id": made["id"], "properties": {"name": "c"}, "objectWriteTraceId": "2"},
            ]
        },
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == (
        f"Duplicate IDs found in batch input: [{made['id']}]. IDs must be unique"
    )
    assert answer.json()["context"] == {"ids": [made["id"]]}


def test_bad_input_without_trace_ids_fails_whole_batch(sim: Any) -> None:
    inputs = [{"properties": {"name": "good"}}, {"properties": {"name": "bad", "nope": "1"}}]
    answer = sim.http.post("/crm/v3/objects/companies/batch/create", json={"inputs": inputs})
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert _count_companies(sim) == 0


def test_bad_input_with_trace_ids_is_207(sim: Any) -> None:
    inputs = [
        {"properties": {"name": "good"}, "objectWriteTraceId": "t-good"},
        {"properties": {"name": "bad", "nope": "1"}, "objectWriteTraceId": "t-bad"},
    ]
    answer = sim.http.post("/crm/v3/objects/companies/batch/create", json={"inputs": inputs})
    assert answer.status_code == 207
    body = answer.json()
    assert body["numErrors"] == 1
    assert body["errors"][0]["context"]["objectWriteTraceId"] == ["t-bad"]
    assert body["errors"][0]["status"] == "error"
    assert [r["objectWriteTraceId"] for r in body["results"]] == ["t-good"]
    assert _count_companies(sim) == 1


def test_good_batch_create_is_201(sim: Any) -> None:
    answer = sim.http.post(
        "/crm/v3/objects/companies/batch/create",
        json={"inputs": [{"properties": {"name": "one"}}]},
    )
    assert answer.status_code == 201
    assert answer.json()["status"] == "COMPLETE"
    assert "errors" not in answer.json()


def test_update_with_missing_id_is_207_and_applies_the_rest(sim: Any) -> None:
    made = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}}).json()
    answer = sim.http.post(
        "/crm/v3/objects/companies/batch/update",
        json={
            "inputs": [
                {"id": made["id"], "properties": {"name": "renamed"}},
                {"id": "424242", "properties": {"name": "ghost"}},
            ]
        },
    )
    assert answer.status_code == 207
    error = answer.json()["errors"][0]
    assert error["category"] == "OBJECT_NOT_FOUND"
    assert error["context"] == {"ids": ["424242"]}
    got = sim.http.get(f"/crm/v3/objects/companies/{made['id']}").json()
    assert got["properties"]["name"] == "renamed"


def test_unique_value_taken_inside_a_batch(sim: Any) -> None:
    _unique_property(sim)
    inputs = [
        {"properties": {"name": "a", "accredo_customer_code": "X1"}},
        {"properties": {"name": "b", "accredo_customer_code": "X1"}},
    ]
    answer = sim.http.post("/crm/v3/objects/companies/batch/create", json={"inputs": inputs})
    assert answer.status_code == 400
    assert "already has that value" in answer.json()["message"]
    assert answer.json()["errors"][0]["code"] == "OBJECT_ALREADY_EXISTS"


def test_batch_archive_is_204_and_records_gone(sim: Any) -> None:
    made = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}}).json()
    answer = sim.http.post(
        "/crm/v3/objects/companies/batch/archive", json={"inputs": [{"id": made["id"]}]}
    )
    assert answer.status_code == 204
    assert sim.http.get(f"/crm/v3/objects/companies/{made['id']}").status_code == 404
    archived = sim.http.get(
        f"/crm/v3/objects/companies/{made['id']}", params={"archived": "true"}
    ).json()
    assert archived["archived"] is True
    assert "archivedAt" in archived


def test_contact_upsert_by_email(sim: Any) -> None:
    inputs = [{"id": "Jo@Example.nz", "idProperty": "email", "properties": {"firstname": "Jo"}}]
    first = sim.http.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs})
    assert first.status_code == 200
    again = [{"id": "jo@example.nz", "idProperty": "email", "properties": {"lastname": "K"}}]
    second = sim.http.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": again})
    assert second.json()["results"][0]["new"] is False
    assert second.json()["results"][0]["id"] == first.json()["results"][0]["id"]


def test_update_by_hs_object_id_as_id_property_is_refused(sim: Any) -> None:
    """Reference 4.3 (and pitfall 13.8): ``idProperty: hs_object_id`` is a non-unique property
    to batch update, so the call is a 400; by record id, idProperty is left out."""
    made = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}}).json()
    answer = sim.http.post(
        "/crm/v3/objects/companies/batch/update",
        json={
            "inputs": [
                {"id": made["id"], "idProperty": "hs_object_id", "properties": {"name": "b"}}
            ]
        },
    )
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"
    assert answer.json()["message"] == (
        "Unable to perform update/upsert by non-unique 0-2 property hs_object_id "
        "in portal ID 99999999"
    )
    stored = sim.http.get(f"/crm/v3/objects/companies/{made['id']}").json()
    assert stored["properties"]["name"] == "a"


def test_partial_success_needs_a_unique_trace_id_on_each_input(sim: Any) -> None:
    """Reference 2.4: a batch is 207 only when *each* input carries a unique
    ``objectWriteTraceId``; a bad input that is traced while another is not, or whose trace
    id another input shares, fails the whole call with the plain 400."""
    bad = {"name": "bad", "nope": "1"}
    for inputs in (
        [{"properties": {"name": "good"}}, {"properties": bad, "objectWriteTraceId": "t-bad"}],
        [
            {"properties": {"name": "good"}, "objectWriteTraceId": "t"},
            {"properties": bad, "objectWriteTraceId": "t"},
        ],
    ):
        answer = sim.http.post("/crm/v3/objects/companies/batch/create", json={"inputs": inputs})
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert _count_companies(sim) == 0


def test_batch_read_takes_its_property_lists_as_lists(sim: Any) -> None:
    """Reference 4.1: batch/read's body carries ``properties`` and ``propertiesWithHistory``
    as lists of names; a comma-joined string (the query string's form) is a 400, not read
    letter by letter into properties that do not exist and so silently left out."""
    made = sim.http.post("/crm/v3/objects/companies", json={"properties": {"name": "a"}}).json()
    read = "/crm/v3/objects/companies/batch/read"
    inputs = [{"id": made["id"]}]
    for key in ("properties", "propertiesWithHistory"):
        answer = sim.http.post(read, json={"inputs": inputs, key: "name,domain"})
        assert answer.status_code == 400, key
        assert answer.json()["message"] == f"{key} must be a list of property names"
    ok = sim.http.post(read, json={"inputs": inputs, "properties": ["name", "phone"]})
    assert set(ok.json()["results"][0]["properties"]) >= {"name", "phone"}
