"""Merges (reference 4.5): a new surviving id, ``hs_merged_object_ids``, old ids resolve."""

from __future__ import annotations

from typing import Any


def _make(sim: Any, kind: str, props: dict[str, Any]) -> str:
    answer = sim.http.post(f"/crm/v3/objects/{kind}", json={"properties": props})
    assert answer.status_code == 201, answer.text
    made: str = answer.json()["id"]
    return made


def test_company_merge_creates_a_new_id_and_old_ids_resolve(sim: Any) -> None:
    primary = _make(sim, "companies", {"name": "Primary", "phone": "1"})
    other = _make(sim, "companies", {"name": "Other", "domain": "other.nz"})
    answer = sim.http.post(
        "/crm/v3/objects/companies/merge",
        json={"primaryObjectId": primary, "objectIdToMerge": other},
    )
    assert answer.status_code == 200
    survivor = answer.json()
    assert survivor["id"] not in (primary, other)
    props = survivor["properties"]
    assert props["name"] == "Primary"
    assert props["domain"] == "other.nz"
    assert set(props["hs_merged_object_ids"].split(";")) == {primary, other}
    for old in (primary, other):
        got = sim.http.get(f"/crm/v3/objects/companies/{old}", params={"properties": "name"})
        assert got.status_code == 200
        assert got.json()["id"] == survivor["id"]
        assert got.json()["properties"]["hs_object_id"] == survivor["id"]
    listed = sim.http.get("/crm/v3/objects/companies").json()["results"]
    assert [r["id"] for r in listed] == [survivor["id"]]


def test_contact_merge_keeps_emails_unique_on_the_survivor(sim: Any) -> None:
    a = _make(sim, "contacts", {"email": "a@x.nz", "firstname": "A"})
    b = _make(sim, "contacts", {"email": "b@x.nz", "lastname": "B"})
    survivor = sim.http.post(
        "/crm/v3/objects/contacts/merge", json={"primaryObjectId": a, "objectIdToMerge": b}
    ).json()
    assert survivor["properties"]["email"] == "a@x.nz"
    assert survivor["properties"]["hs_additional_emails"] == "b@x.nz"
    conflict = sim.http.post("/crm/v3/objects/contacts", json={"properties": {"email": "b@x.nz"}})
    assert conflict.status_code == 409
    assert conflict.json()["message"] == f"Contact already exists. Existing ID: {survivor['id']}"


def test_merge_moves_associations(sim: Any) -> None:
    company = _make(sim, "companies", {"name": "Co"})
    a = _make(sim, "contacts", {"email": "a@co.nz"})
    b = _make(sim, "contacts", {"email": "b@co.nz"})
    sim.http.put(f"/crm/v4/objects/contacts/{b}/associations/default/companies/{company}")
    survivor = sim.http.post(
        "/crm/v3/objects/contacts/merge", json={"primaryObjectId": a, "objectIdToMerge": b}
    ).json()
    page = sim.http.get(f"/crm/v4/objects/companies/{company}/associations/contacts").json()
    assert [r["toObjectId"] for r in page["results"]] == [int(survivor["id"])]


def test_a_merge_past_250_identities_is_414(sim: Any) -> None:
    """Reference 4.5 and 2.5: a record takes part in at most 250 merges; a merge that would
    give it more than 250 identities (its id and the merged-away ones) is a 414 ``Cannot have
    more than 250 identities on a profile``, and nothing is merged."""
    survivor = _make(sim, "companies", {"name": "Survivor"})
    # A company merge gives a new id: each merge adds the old primary's id and the other's.
    for i in range(124):
        other = _make(sim, "companies", {"name": f"Other {i}"})
        answer = sim.http.post(
            "/crm/v3/objects/companies/merge",
            json={"primaryObjectId": survivor, "objectIdToMerge": other},
        )
        assert answer.status_code == 200, answer.text
        survivor = answer.json()["id"]
    merged = answer.json()["properties"]["hs_merged_object_ids"].split(";")
    assert len(merged) + 1 == 249
    last = _make(sim, "companies", {"name": "One too many"})
    answer = sim.http.post(
        "/crm/v3/objects/companies/merge",
        json={"primaryObjectId": survivor, "objectIdToMerge": last},
    )
    assert answer.status_code == 414
    assert answer.json()["message"] == "Cannot have more than 250 identities on a profile"
    got = sim.http.get(f"/crm/v3/objects/companies/{last}").json()
    assert got["id"] == last
