"""Writes: validation, eTags, conflicts, deletes, and the delta rows they leave (reference 6, 9)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sims.accredo.conftest import Sim


def first_customer(api: httpx.Client) -> dict[str, Any]:
    body: dict[str, Any] = api.get("/ARCustomer", params={"$top": "1"}).json()["value"][0]
    return body


def deltas(api: httpx.Client, after: int = 0) -> list[dict[str, Any]]:
    r = api.get("/TABLE_ARDELTA", params={"$filter": f"DeltaID gt {after}", "$orderby": "DeltaID"})
    rows: list[dict[str, Any]] = r.json()["value"]
    return rows


def test_stale_etag_patch_is_412_then_a_good_patch_shows_in_the_delta_table(
    sim: Sim, api: httpx.Client
) -> None:
    cust = first_customer(api)
    code, etag = cust["CustomerCode"], cust["@odata.etag"]
    assert etag == f"{cust['EditRevision']}/{cust['RecordRevision']}"
    # Someone invoices the customer after we read it: RecordRevision moves on.
    sim.http.post("/_sim/post/invoices", json={"items": [{"CustomerCode": code, "Amount": 50}]})
    before = deltas(api)
    r = api.patch(f"/ARCustomer('{code}')", json={"CreditLimit": 7500}, headers={"If-Match": etag})
    assert r.status_code == 412
    err = r.json()["error"]
    assert err["code"] == "PreconditionFailed" and "etag" in err["message"].lower()
    current = api.get(f"/ARCustomer('{code}')", params={"$select": "CustomerCode"}).json()
    assert err["details"] == [{"code": "CurrentETag", "message": current["@odata.etag"]}]
    assert deltas(api) == before  # a refused write logs nothing
    r = api.patch(
        f"/ARCustomer('{code}')",
        json={"CreditLimit": 7500},
        headers={"If-Match": f'W/"{current["@odata.etag"]}"'},
    )
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["CreditLimit"] == 7500
    assert new["EditRevision"] == cust["EditRevision"] + 1
    assert new["RecordRevision"] == cust["RecordRevision"] + 2  # posting + patch
    assert new["ModifiedUserCode"] == "SYNC"
    rows = deltas(api, before[-1]["DeltaID"] if before else 0)
    assert [(d["AccountFile"], d["AccountCode"], d["ChangeType"]) for d in rows] == [
        ("ARCUST", code, "U")
    ]
    assert rows[0]["CreatedUserCode"] == "SYNC" and rows[0]["ChangeHeat"] == 2
    lines = api.get("/TABLE_ARDTFLD", params={"$filter": f"DeltaID eq {rows[0]['DeltaID']}"})
    assert [(x["Name"], x["OldValue"], x["NewValue"]) for x in lines.json()["value"]] == [
        ("CreditLimit", cust["CreditLimit"], 7500)
    ]


def test_missing_if_match_is_428_and_star_is_400(api: httpx.Client) -> None:
    code = first_customer(api)["CustomerCode"]
    r = api.patch(f"/ARCustomer('{code}')", json={"StopCredit": True})
    assert r.status_code == 428 and "If-Match" in r.json()["error"]["message"]
    r = api.put(f"/ARCustomer('{code}')", json={"CustomerName": "X"})
    assert r.status_code == 428
    r = api.patch(f"/ARCustomer('{code}')", json={"StopCredit": True}, headers={"If-Match": "*"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"Comment": "Whakatāne branch"}, "Comment"),  # macron in a non-unicode field
        ({"EmailAddress": "mere@kōwhai.nz"}, "EmailAddress"),
        ({"CustomerName": "x" * 61}, "CustomerName"),
        ({"CustomerType": "Normal"}, "CustomerType"),  # a label, not the code
        ({"CustomerType": "Z"}, "CustomerType"),
        ({"CreditLimit": "lots"}, "CreditLimit"),
        ({"StopCredit": "yes"}, "StopCredit"),
        ({"SalesPersonCode": "NOBODY"}, "SalesPersonCode"),
        ({"PriceCode": "NOPE"}, "PriceCode"),
        ({"NotAField": 1}, "NotAField"),
        ({"Z_HubSpotID": "1" * 21}, "Z_HubSpotID"),
        ({"Contact": []}, "Contact"),
        # reference 3.3 / 6.3: only an empty date is null; text is cleared with ""
        ({"PhoneNo": None}, "PhoneNo"),
        ({"Z_Industry": None}, "Z_Industry"),
    ],
)
def test_patch_validation_names_the_field(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    cust = first_customer(api)
    r = api.patch(
        f"/ARCustomer('{cust['CustomerCode']}')",
        json=body,
        headers={"If-Match": cust["@odata.etag"]},
    )
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err.get("target") == field and field in err["message"]


def test_macrons_are_fine_in_unicode_fields_and_read_only_fields_are_ignored(
    api: httpx.Client,
) -> None:
    cust = first_customer(api)
    r = api.patch(
        f"/ARCustomer('{cust['CustomerCode']}')",
        json={
            "CustomerName": "Ōtāhuhu Kōwhai Ltd",
            "Address2": "Whakatāne",
            "BalanceTotal": 999999,
            "@odata.etag": "ignored",
            "Z_Industry": "Construction",
        },
        headers={"If-Match": cust["@odata.etag"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["CustomerName"] == "Ōtāhuhu Kōwhai Ltd" and body["Address2"] == "Whakatāne"
    assert body["BalanceTotal"] == cust["BalanceTotal"] and body["Z_Industry"] == "Construction"
    found = api.get("/ARCustomer", params={"$filter": "Z_Industry eq 'Construction'"}).json()
    assert [c["CustomerCode"] for c in found["value"]] == [cust["CustomerCode"]]


def test_post_customer_rules(api: httpx.Client) -> None:
    r = api.post("/ARCustomer", json={"CustomerCode": "bowen", "CustomerName": "Bowen Paint"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["CustomerCode"] == "BOWEN" and body["@odata.etag"] == "1/1"
    assert body["CustomerGroupCode"] == "TRADE" and body["CustomerType"] == "N"
    assert body["PaymentUnit"] == "M" and body["PaymentDayOfMonth"] == 20
    dup = api.post("/ARCustomer", json={"CustomerCode": "BOWEN", "CustomerName": "Again"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "Conflict"
    assert dup.json()["error"]["target"] == "CustomerCode"
    assert "already exists" in dup.json()["error"]["details"][0]["message"]
    for bad, field in (
        ({"CustomerName": "No code"}, "CustomerCode"),
        ({"CustomerCode": "O'BRIEN", "CustomerName": "x"}, "CustomerCode"),
        ({"CustomerCode": "A" * 17, "CustomerName": "x"}, "CustomerCode"),
        ({"CustomerCode": "NONAME"}, "CustomerName"),
        ({"CustomerCode": "BLANK", "CustomerName": "   "}, "CustomerName"),
        ({"CustomerCode": "LONG", "CustomerName": "x" * 61}, "CustomerName"),
        ({"CustomerCode": "KIND", "CustomerName": "x", "CustomerType": "X"}, "CustomerType"),
        ({"CustomerCode": "ZED", "CustomerName": "x", "Z_HubSpotID": "9" * 21}, "Z_HubSpotID"),
        (
            {"CustomerCode": "GRP", "CustomerName": "x", "CustomerGroupCode": "NOPE"},
            "CustomerGroupCode",
        ),
    ):
        r = api.post("/ARCustomer", json=bad)
        assert r.status_code == 400 and r.json()["error"]["target"] == field
    sixteen = {"CustomerCode": "A" * 16, "CustomerName": "x" * 60, "Z_HubSpotID": "9" * 20}
    assert api.post("/ARCustomer", json=sixteen).status_code == 200


def test_contacts_primary_flag_and_names(api: httpx.Client) -> None:
    code = first_customer(api)["CustomerCode"]
    r = api.post(
        "/ARContact",
        json={
            "CustomerCode": code,
            "FirstName": "Hēmi",
            "LastName": "O'Brien",
            "IsPrimary": True,
            "ContactID": 999999,
        },
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["ContactID"] != 999999 and c["FullName"] == "Hēmi O'Brien"
    assert c["LastNameFirstName"] == "O'Brien, Hēmi"
    cust = api.get(
        f"/ARCustomer('{code}')", params={"$expand": "Contact($select=ContactID,IsPrimary)"}
    )
    contacts = cust.json()["Contact"]
    assert [x["ContactID"] for x in contacts if x["IsPrimary"]] == [c["ContactID"]]
    assert cust.json()["PrimaryContactID"] == c["ContactID"]
    assert set(contacts[0]) == {"ContactID", "IsPrimary"}
    r = api.get("/ARContact", params={"$filter": "LastName eq 'O''Brien' and FirstName eq 'Hēmi'"})
    found = r.json()["value"]
    assert c["ContactID"] in [x["ContactID"] for x in found]
    assert all((x["FirstName"], x["LastName"]) == ("Hēmi", "O'Brien") for x in found)


def test_delete_rules(sim: Sim, api: httpx.Client) -> None:
    api.post("/ARCustomer", json={"CustomerCode": "GONE", "CustomerName": "Gone Ltd"})
    r = api.delete("/ARCustomer('GONE')", headers={"If-Match": "9/9"})
    assert r.status_code == 412
    assert api.delete("/ARCustomer('GONE')").status_code == 200
    assert api.get("/ARCustomer('GONE')").status_code == 404
    busy = api.get("/ARCustomer", params={"$filter": "BalanceTotal gt 0", "$top": "1"}).json()
    code = busy["value"][0]["CustomerCode"]
    assert api.delete(f"/ARCustomer('{code}')").status_code == 409
    assert api.delete("/TABLE_COPRICE('RETAIL')").status_code == 405
    changes = [
        (d["AccountCode"], d["ChangeType"]) for d in deltas(api) if d["AccountFile"] == "ARCUST"
    ]
    assert ("GONE", "A") in changes and ("GONE", "D") in changes


def test_inactive_is_refused_with_open_transactions(api: httpx.Client) -> None:
    busy = api.get("/ARCustomer", params={"$filter": "BalanceTotal gt 0", "$top": "1"}).json()
    cust = busy["value"][0]
    r = api.patch(
        f"/ARCustomer('{cust['CustomerCode']}')",
        json={"Inactive": True},
        headers={"If-Match": cust["@odata.etag"]},
    )
    assert r.status_code == 400 and r.json()["error"]["target"] == "Inactive"


def test_invalid_queries_are_400_odata_errors(api: httpx.Client) -> None:
    for params in (
        {"$filter": "CustomerCode eq"},
        {"$filter": "Bogus eq 1"},
        {"$select": "Nope"},
        {"$orderby": "CustomerCode sideways"},
        {"$expand": "Line"},
        {"$top": "-1"},
        {"$skip": "x"},
        {"$count": "maybe"},
        {"$search": "x"},
        # reference 5.1: functions beyond contains/startswith/endswith, quoted dates
        {"$filter": "toupper(CustomerName) eq 'X'"},
        {"$filter": "DateOfLastSale ge '2025-01-01'"},
        # reference 3.1: the service answers JSON; another $format is refused, not ignored
        {"$format": "xml"},
        {"$format": "application/json;odata.metadata=most"},
    ):
        r = api.get("/ARCustomer", params=params)
        assert r.status_code == 400, params
        assert r.json()["error"]["code"] == "BadRequest" and r.json()["error"]["message"]
    assert api.get("/ARCustomer('NOSUCH')").status_code == 404
    assert api.get("/NoSuchEntity").status_code == 404
    assert api.get("/ARContact(abc)").status_code == 400
    assert api.get("/ARContact('1')").status_code == 200  # integer keys quoted or not
    assert api.get("/ARContact(1)").status_code == 200


def test_put_replaces_the_record(api: httpx.Client) -> None:
    api.post(
        "/ARCustomer",
        json={"CustomerCode": "PUTME", "CustomerName": "Put Me Ltd", "Comment": "keep?"},
    )
    cust = api.get("/ARCustomer('PUTME')").json()
    r = api.put(
        "/ARCustomer('PUTME')",
        json={"CustomerName": "Replaced Ltd", "CustomerGroupCode": "TRADE"},
        headers={"If-Match": cust["@odata.etag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["CustomerName"] == "Replaced Ltd" and r.json()["Comment"] == ""


def test_order_lines_are_reachable_for_the_change_feed(sim: Sim, api: httpx.Client) -> None:
    code = first_customer(api)["CustomerCode"]
    sim.http.patch(f"/_sim/customers/{code}", json={"StopCredit": False})
    order = api.post(
        "/OEOrder",
        json={
            "CustomerCode": code,
            "OrderNo": "PO-77",
            "Line": [
                {"ProductCode": "PAINT-WB-4L", "QuantityOrdered": 2, "SellingPrice": 89},
                {"ProductCode": "GLOVES-NIT", "QuantityOrdered": 1, "SellingPrice": 19.9},
            ],
        },
    ).json()
    assert order["ExclusiveAmountOrdered"] == 197.9
    feed = api.get("/TABLE_OEDELTA", params={"$orderby": "DeltaID"}).json()["value"]
    files = [(d["AccountFile"], d["ChangeType"]) for d in feed]
    assert files == [("OEHEAD", "A"), ("OELINE", "A"), ("OELINE", "A")]
    line = api.get(
        f"/TABLE_OELINE({feed[1]['AccountCode']})", params={"$select": "DocumentID,CustomerCode"}
    ).json()
    assert (line["DocumentID"], line["CustomerCode"]) == (order["DocumentID"], code)
    expanded = api.get(f"/OEOrder({order['DocumentID']})", params={"$expand": "Line"}).json()
    assert [ln["ProductCode"] for ln in expanded["Line"]] == ["PAINT-WB-4L", "GLOVES-NIT"]


def test_sales_people_have_email_addresses(api: httpx.Client) -> None:
    from tests.sims.accredo.test_contract import check

    people = api.get("/ARSalesPerson").json()["value"]
    assert len(people) >= 2
    for person in people:
        check("ARSalesPerson", person)
        assert "@" in person["EmailAddress"]
    email = people[1]["EmailAddress"]
    found = api.get("/ARSalesPerson", params={"$filter": f"EmailAddress eq '{email}'"}).json()
    assert [p["SalesPersonCode"] for p in found["value"]] == [people[1]["SalesPersonCode"]]


def test_lifecycle_and_last_activity_custom_fields(api: httpx.Client) -> None:
    cust = first_customer(api)
    path = f"/ARCustomer('{cust['CustomerCode']}')"
    assert cust["Z_LifecycleStage"] == "" and cust["Z_LastActivity"] is None
    for bad, field in (
        ({"Z_LastActivity": "28/06/2025"}, "Z_LastActivity"),
        ({"Z_LastActivity": 20250628}, "Z_LastActivity"),
        ({"Z_LifecycleStage": "x" * 31}, "Z_LifecycleStage"),
    ):
        r = api.patch(path, json=bad, headers={"If-Match": cust["@odata.etag"]})
        assert r.status_code == 400 and r.json()["error"]["target"] == field, bad
    r = api.patch(
        path,
        json={"Z_LifecycleStage": "customer", "Z_LastActivity": "2025-06-28"},
        headers={"If-Match": cust["@odata.etag"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["Z_LifecycleStage"], r.json()["Z_LastActivity"]) == ("customer", "2025-06-28")
    found = api.get(
        "/ARCustomer",
        params={"$filter": "Z_LastActivity ge 2025-06-01", "$select": "CustomerCode"},
    ).json()["value"]
    assert [c["CustomerCode"] for c in found] == [cust["CustomerCode"]]
    [delta] = api.get("/TABLE_ARDELTA").json()["value"]
    assert (delta["AccountCode"], delta["ChangeType"]) == (cust["CustomerCode"], "U")


def test_inactive_is_refused_with_an_active_invoice(sim: Sim, api: httpx.Client) -> None:
    """Reference 6.3 / 10.1 Inactive: refused while the customer has active orders **or
    invoices** (an unposted or open INInvoice counts as much as an open order)."""
    r = api.post("/ARCustomer", json={"CustomerCode": "QUOTED", "CustomerName": "Quoted Ltd"})
    assert r.status_code == 200, r.text
    st = sim.state
    with st.writing():
        invoices = st.tables["INInvoice"]
        invoices.insert(
            {
                "DocumentID": invoices.next_int_key(),
                "CustomerCode": "QUOTED",
                "DocumentClass": "I",
                "PostStatus": "U",
                "RecordRevision": 1,
            }
        )
    etag = api.get("/ARCustomer('QUOTED')").json()["@odata.etag"]
    r = api.patch("/ARCustomer('QUOTED')", json={"Inactive": True}, headers={"If-Match": etag})
    assert r.status_code == 400 and r.json()["error"]["target"] == "Inactive", r.text
    assert "invoices" in r.json()["error"]["message"]


def test_nan_and_infinity_are_not_json(api: httpx.Client) -> None:
    """Reference 6.3 (wrong JSON type → 400): NaN/Infinity are not JSON numbers, though
    Python's own parser would take them."""
    cust = first_customer(api)
    for word in ("NaN", "Infinity", "-Infinity"):
        r = api.patch(
            f"/ARCustomer('{cust['CustomerCode']}')",
            content=f'{{"CreditLimit": {word}}}',
            headers={"If-Match": cust["@odata.etag"], "Content-Type": "application/json"},
        )
        assert r.status_code == 400, (word, r.text)
        assert r.json()["error"]["code"] == "BadRequest"


@pytest.mark.parametrize(
    ("listing", "entity", "key", "change"),
    [
        ("ARCustomerList", "ARCustomer", "CustomerCode", {"Comment": "from the list"}),
        ("ARTransactionList", "ARTransaction", "TransactionID", {"OrderNo": "PO-LIST"}),
    ],
)
def test_a_list_rows_etag_is_no_if_match_for_its_entity(
    api: httpx.Client, listing: str, entity: str, key: str, change: dict[str, Any]
) -> None:
    """Reference 10.2: a list view's @odata.etag is not a valid If-Match for the entity; the
    client re-reads the entity before a PATCH."""
    params = {"$top": "1"}
    if entity == "ARTransaction":  # an open one: its OrderNo may still change
        params["$filter"] = "UnallocatedAmount ne 0"
    row = api.get(f"/{listing}", params=params).json()["value"][0]
    literal = row[key] if isinstance(row[key], int) else f"'{row[key]}'"
    r = api.patch(f"/{entity}({literal})", json=change, headers={"If-Match": row["@odata.etag"]})
    assert r.status_code == 412, r.text
    fresh = api.get(f"/{entity}({literal})").json()["@odata.etag"]
    assert api.patch(f"/{entity}({literal})", json=change, headers={"If-Match": fresh}).is_success


def test_a_write_body_must_be_sent_as_json(api: httpx.Client) -> None:
    """Reference 3.1: POST/PATCH/PUT bodies go with Content-Type: application/json (only the
    token endpoint takes a body of any type, 2.1); an untyped or form body is refused."""
    cust = first_customer(api)
    body = '{"Comment": "typed?"}'
    for ctype in (None, "text/plain", "application/x-www-form-urlencoded"):
        headers = {"If-Match": cust["@odata.etag"]}
        if ctype:
            headers["Content-Type"] = ctype
        r = api.patch(f"/ARCustomer('{cust['CustomerCode']}')", content=body, headers=headers)
        assert r.status_code == 415, (ctype, r.text)
        assert r.json()["error"]["code"] == "UnsupportedMediaType"
    r = api.patch(
        f"/ARCustomer('{cust['CustomerCode']}')",
        content=body,
        headers={
            "If-Match": cust["@odata.etag"],
            "Content-Type": "application/json; charset=utf-8",
        },
    )
    assert r.status_code == 200, r.text
