"""Server-driven paging over 5,000 customers (reference 5.2)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.sims.accredo.conftest import Sim, running_sim


@pytest.fixture(scope="module")
def big() -> Iterator[Sim]:
    with running_sim(customers=5000) as sim:
        yield sim


def follow(
    client: httpx.Client,
    url: str,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[list[dict[str, object]], int]:
    rows: list[dict[str, object]] = []
    pages = 0
    r = client.get(url, params=params, headers=headers)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        rows.extend(body["value"])
        pages += 1
        link = body.get("@odata.nextLink")
        if not link:
            return rows, pages
        assert "$skiptoken=" in link and "$skip=" not in link
        r = client.get(link, headers=headers)


def test_all_5000_customers_in_key_order_default_page_100(big: Sim) -> None:
    with big.api() as api:
        rows, pages = follow(api, "/ARCustomer", {"$select": "CustomerCode"})
    codes = [str(r["CustomerCode"]) for r in rows]
    assert len(codes) == 5000 and pages == 50
    assert codes == sorted(codes) and len(set(codes)) == 5000


def test_page_size_preference_is_capped_and_echoed(big: Sim) -> None:
    with big.api() as api:
        r = api.get(
            "/ARCustomer",
            params={"$select": "CustomerCode"},
            headers={"Prefer": "odata.maxpagesize=5000"},
        )
        assert len(r.json()["value"]) == 2000
        assert r.headers["Preference-Applied"] == "odata.maxpagesize=2000"
        r = api.get("/ARCustomer", params={"$select": "CustomerCode", "pagesize": "7"})
        assert len(r.json()["value"]) == 7


def test_top_skip_count_filter_and_orderby_across_pages(big: Sim) -> None:
    with big.api() as api:
        everything, _ = follow(
            api,
            "/ARCustomer",
            {"$select": "CustomerCode,BalanceTotal", "$filter": "BalanceTotal gt 0"},
            {"Prefer": "odata.maxpagesize=2000"},
        )
        r = api.get(
            "/ARCustomer", params={"$filter": "BalanceTotal gt 0", "$count": "true", "$top": "0"}
        )
        assert r.json()["@odata.count"] == len(everything) and r.json()["value"] == []
        rows, pages = follow(
            api,
            "/ARCustomer",
            {
                "$select": "CustomerCode",
                "$filter": "BalanceTotal gt 0",
                "$top": "250",
                "$skip": "10",
            },
            {"Prefer": "odata.maxpagesize=100"},
        )
        assert pages == 3
        assert [r["CustomerCode"] for r in rows] == [r["CustomerCode"] for r in everything[10:260]]
        ordered, _ = follow(
            api,
            "/ARCustomer",
            {"$select": "CustomerCode,BalanceTotal", "$orderby": "BalanceTotal desc"},
            {"Prefer": "odata.maxpagesize=1000"},
        )
        pairs = [(-float(r["BalanceTotal"]), r["CustomerCode"]) for r in ordered]  # type: ignore[arg-type]
        assert len(pairs) == 5000 and pairs == sorted(pairs)


def test_rows_added_behind_the_cursor_do_not_shift_pages(big: Sim) -> None:
    with big.api() as api:
        first = api.get(
            "/ARCustomer",
            params={"$select": "CustomerCode"},
            headers={"Prefer": "odata.maxpagesize=50"},
        ).json()
        created = api.post("/ARCustomer", json={"CustomerCode": "AAAAA1", "CustomerName": "A"})
        assert created.status_code == 200
        try:
            second = api.get(first["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=50"})
            codes = [r["CustomerCode"] for r in second.json()["value"]]
            assert codes[0] > first["value"][-1]["CustomerCode"] and "AAAAA1" not in codes
        finally:
            big.state.delete("ARCustomer", "AAAAA1", "SIM", None)


def test_bad_skiptoken_is_400(big: Sim) -> None:
    with big.api() as api:
        for token in ("garbage!", "WyJPRU9yZGVyIixbMV1d"):  # the second is another entity's
            r = api.get("/ARCustomer", params={"$skiptoken": token})
            assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"


def test_batched_look_ups_find_what_a_scan_finds(big: Sim) -> None:
    """``key eq A or key eq B ...`` (and the same on an indexed field, alone or and-ed with
    more) is answered from the key or the index: the same rows, in the same order, as the
    filter answered by a scan (an ``or false`` keeps it from the look-up path)."""

    def both_ways(entity: str, looked_up: str, scanned: str) -> list[dict[str, object]]:
        fast, _ = follow(api, f"/{entity}", {"$filter": looked_up})
        slow, _ = follow(api, f"/{entity}", {"$filter": scanned})
        assert fast == slow, looked_up
        return fast

    with big.api() as api:
        codes = [row["CustomerCode"] for row in api.get("/ARCustomer?$top=40").json()["value"]]
        picked = [*codes[::7], "NOSUCH"]
        by_code = " or ".join(f"CustomerCode eq '{code}'" for code in picked)
        for entity in ("ARCustomer", "ARTransaction"):
            found = both_ways(entity, f"({by_code})", f"{by_code} or false")
            assert {row["CustomerCode"] for row in found} == set(picked) - {"NOSUCH"}, entity
        open_only = both_ways(
            "ARTransaction",
            f"({by_code}) and UnallocatedAmount ne 0",
            f"({by_code} or false) and UnallocatedAmount ne 0",
        )
        assert 0 < len(open_only) < len(found)
        ids = [int(str(row["TransactionID"])) for row in found][:5]
        by_id = " or ".join(f"TransactionID eq {n}" for n in [*ids, 10**9])
        by_ids = both_ways("ARTransaction", by_id, f"{by_id} or false")
        assert [row["TransactionID"] for row in by_ids] == sorted(ids)


def test_an_ascending_order_on_two_fields_pages_through_every_row_once(big: Sim) -> None:
    """``$orderby=A,B`` (both ascending, sorted by key and found after a token by bisection)
    gives the same rows, in the same order, whatever the page size."""
    with big.api() as api:
        params = {"$select": "CustomerCode,PriceCode", "$orderby": "PriceCode,CustomerCode"}
        whole, pages = follow(api, "/ARCustomer", params, {"Prefer": "odata.maxpagesize=5000"})
        paged, many = follow(api, "/ARCustomer", params, {"Prefer": "odata.maxpagesize=333"})
    assert many == 16 and pages < many
    assert paged == whole and len(whole) == 5000
    pairs = [(str(r["PriceCode"] or ""), str(r["CustomerCode"])) for r in whole]
    assert pairs == sorted(pairs) and len(set(pairs)) == 5000
