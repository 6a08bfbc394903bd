"""ARMemo: notes on a debtor, read and written through the API (reference 10.8a)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sims.accredo.conftest import Sim
from tests.sims.accredo.test_contract import check
from tests.sims.accredo.test_writes import first_customer


def a_customer(api: httpx.Client) -> str:
    code: str = first_customer(api)["CustomerCode"]
    return code


def test_memos_are_read_per_debtor_with_the_text_on_expand(sim: Sim, api: httpx.Client) -> None:
    rows = api.get("/ARMemo", params={"$top": "5"}).json()["value"]
    assert rows
    code = rows[0]["CustomerCode"]
    mine = api.get(
        "/ARMemo", params={"$filter": f"CustomerCode eq '{code}'", "$expand": "Memo"}
    ).json()["value"]
    assert mine and all(m["CustomerCode"] == code for m in mine)
    for m in mine:
        check("ARMemo", m)
        assert (m["AccountFile"], m["AccountCode"]) == ("ARCUST", code)
        assert m["Memo"]["Text"] and "/" not in m["@odata.etag"]
    assert "Memo" not in rows[0]


def test_a_memo_is_created_updated_and_deleted(sim: Sim, api: httpx.Client) -> None:
    code = a_customer(api)
    r = api.post(
        "/ARMemo",
        json={
            "CustomerCode": code.lower(),
            "MemoType": "M",
            "Subject": "Deal won: Kowhai fit-out",
            "Reference": "DEAL-1001",
            "Memo": {"Text": "Ōtāhuhu site, 5% discount promised by Aroha; close 2025-06-28."},
            "MemoID": 1,
            "CreatedUserCode": "NOBODY",
        },
    )
    assert r.status_code == 200, r.text
    memo = r.json()
    check("ARMemo", memo)
    mid = memo["MemoID"]
    assert mid != 1 and memo["CustomerCode"] == code
    assert (memo["AccountFile"], memo["AccountCode"]) == ("ARCUST", code)
    assert memo["CreatedUserCode"] == "SYNC" and memo["MemoDate"] == "2025-06-30"
    assert memo["MemoDateTime"].startswith("2025-06-30T")
    quoted = api.get(f"/ARMemo('{mid}')", params={"$expand": "Memo"}).json()
    assert quoted["Memo"]["Text"].startswith("Ōtāhuhu") and quoted["Subject"].startswith("Deal")
    assert api.patch(f"/ARMemo({mid})", json={"Subject": "x"}).status_code == 428
    patched = api.patch(
        f"/ARMemo({mid})",
        json={"Subject": "Deal won: Kowhai fit-out (revised)", "Memo": {"Text": "Now 7%."}},
        headers={"If-Match": memo["@odata.etag"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["@odata.etag"] != memo["@odata.etag"]
    assert api.get(f"/ARMemo({mid})", params={"$expand": "Memo"}).json()["Memo"] == {
        "Text": "Now 7%."
    }
    stale = api.patch(
        f"/ARMemo({mid})", json={"Subject": "y"}, headers={"If-Match": memo["@odata.etag"]}
    )
    assert stale.status_code == 412
    assert api.delete(f"/ARMemo({mid})").status_code == 200
    assert api.get(f"/ARMemo({mid})").status_code == 404


def test_memo_field_rules(sim: Sim, api: httpx.Client) -> None:
    code = a_customer(api)
    before = api.get("/ARMemo", params={"$count": "true", "$top": "0"}).json()["@odata.count"]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"Subject": "S" * 61}, "Subject"),
        ({"Subject": "Hui at Ōtāhuhu"}, "Subject"),
        ({"MemoType": "Memo"}, "MemoType"),
        ({"Reference": "R" * 31}, "Reference"),
        ({"Memo": "just text"}, "Memo"),
        ({"Memo": {"Body": "x"}}, "Memo/Body"),
        ({"AccountFile": "APCRED"}, "AccountFile"),
        ({"AccountCode": "SOMEONE"}, "AccountCode"),
        ({"MemoDate": "30/06/2025"}, "MemoDate"),
        # reference 3.3: times are HH:MM:SS [assumed], date-times likewise with seconds
        ({"MemoTime": "14:05"}, "MemoTime"),
        ({"ActionOnDateTime": "2025-07-01T09:30"}, "ActionOnDateTime"),
        ({"Colour": "red"}, "Colour"),
    ]
    for fields, target in bad:
        r = api.post("/ARMemo", json={"CustomerCode": code, "Subject": "ok", **fields})
        assert r.status_code == 400, fields
        assert r.json()["error"]["target"] == target, fields
    for body in ({"Subject": "no customer"}, {"CustomerCode": "NOSUCH", "Subject": "x"}):
        r = api.post("/ARMemo", json=body)
        assert r.status_code == 400 and r.json()["error"]["target"] == "CustomerCode"
    after = api.get("/ARMemo", params={"$count": "true", "$top": "0"}).json()["@odata.count"]
    assert after == before
