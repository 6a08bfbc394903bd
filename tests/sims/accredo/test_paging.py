"""Server-driven paging over 5,000 customers (reference 5.2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sims.accredo.state import REMEMBERED_ORDERINGS
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


def test_a_skiptoken_is_bound_to_its_query(big: Sim) -> None:
    """Reference 5.2: a foreign skiptoken is a 400, also one from the same entity set's other
    query (another $filter or $orderby), which would otherwise page from a wrong place."""
    with big.api() as api:
        headers = {"Prefer": "odata.maxpagesize=5"}
        own = {"$filter": "Inactive eq false", "$orderby": "CustomerName"}
        link = api.get("/ARCustomer", params=own, headers=headers).json()["@odata.nextLink"]
        token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
        assert api.get(link, headers=headers).status_code == 200
        for other in (
            {"$orderby": "CustomerName"},
            {"$filter": "Inactive eq true", "$orderby": "CustomerName"},
            {"$filter": "Inactive eq false", "$orderby": "CustomerName desc"},
        ):
            r = api.get("/ARCustomer", params={**other, "$skiptoken": token}, headers=headers)
            assert r.status_code == 400, other
            assert r.json()["error"]["code"] == "BadRequest"


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


# ----- a query paged while the data changes between its pages --------------------------------

PAGE = {"Prefer": "odata.maxpagesize=20"}
Write = Callable[[Sim, httpx.Client, list[dict[str, Any]]], None]


def _order_of(orderby: str) -> list[tuple[str, bool]]:
    terms = [term.split() for term in orderby.split(",")]
    return [(term[0], len(term) > 1 and term[1] == "desc") for term in terms]


def _in_order(rows: list[dict[str, Any]], orderby: str, key: str) -> list[dict[str, Any]]:
    """The rows as ``$orderby`` sorts them (descending on numbers only), ties by the key."""
    order = _order_of(orderby)

    def rank(row: dict[str, Any]) -> tuple[Any, ...]:
        return (*(-row[n] if desc else row[n] for n, desc in order), row[key])

    return sorted(rows, key=rank)


def _after(rows: list[dict[str, Any]], last: dict[str, Any], orderby: str, key: str) -> list[Any]:
    """The keys of the rows that sort after ``last`` as page 1 saw it (what the next pages
    must hold; ``last`` itself among them if a write moved it on)."""
    ordered = _in_order([*rows, last], orderby, key)  # stable: ``last`` after its equal
    at = next(i for i, r in enumerate(ordered) if r is last)
    return [r[key] for r in ordered[at + 1 :]]


def _scan(api: httpx.Client, entity: str, fields: list[str], where: str | None) -> list[Any]:
    """Every matching row, read in key order (a query no ordering is remembered for)."""
    params = {"$select": ",".join(fields)}
    if where:
        params["$filter"] = where
    rows, _ = follow(api, f"/{entity}", params, {"Prefer": "odata.maxpagesize=2000"})
    return rows


def _rename(sim: Sim, api: httpx.Client, ahead: list[dict[str, Any]]) -> None:
    """In place: one row ahead of the cursor moves behind it, one behind moves ahead."""
    for row, name in ((ahead[3], "AAAA MOVED BEHIND"), (ahead[-1], "ZZZZ MOVED AHEAD")):
        r = sim.http.patch(f"/_sim/customers/{row['CustomerCode']}", json={"CustomerName": name})
        assert r.status_code == 200, r.text


def _insert(sim: Sim, api: httpx.Client, ahead: list[dict[str, Any]]) -> None:
    body = {"CustomerCode": "ZZNEW", "CustomerName": str(ahead[2]["CustomerName"]) + " TOO"}
    assert sim.http.post("/_sim/customers", json=body).status_code == 200


def _delete(sim: Sim, api: httpx.Client, ahead: list[dict[str, Any]]) -> None:
    """A contact ahead of the cursor deleted (the first not on an active document)."""
    for row in ahead[2:]:
        if api.delete(f"/ARContact({row['ContactID']})").status_code == 200:
            return
    raise AssertionError("no contact ahead can be deleted")


def _receipt(sim: Sim, api: httpx.Client, ahead: list[dict[str, Any]]) -> None:
    """A ledger posting (receipt, allocation, balances): a row ahead leaves the filter."""
    item = {"CustomerCode": ahead[2]["CustomerCode"], "Amount": ahead[2]["BalanceTotal"] + 500}
    assert sim.http.post("/_sim/post/receipts", json={"items": [item]}).status_code == 200


def _month_end(sim: Sim, api: httpx.Client, ahead: list[dict[str, Any]]) -> None:
    """Past the month end: every customer's aging buckets move."""
    assert sim.http.post("/_sim/clock/advance", json={"days": 1}).status_code == 200


def _order(sim: Sim, api: httpx.Client, ahead: list[dict[str, Any]]) -> None:
    """An order entered for a customer ahead of the cursor (a new header, lines, deltas)."""
    lines = [{"ProductCode": "PAINT-WB-4L", "Quantity": 2, "UnitPrice": 19.5}]
    for row in ahead:
        r = sim.http.post(
            "/_sim/orders", json={"CustomerCode": row["CustomerCode"], "Lines": lines}
        )
        if r.status_code == 200:
            return
    raise AssertionError("no customer ahead takes an order")


CUSTOMER_FIELDS = ["CustomerCode", "CustomerName", "BalanceTotal", "Balance1"]
ORDER_FIELDS = ["DocumentID", "CustomerCode"]
CONTACT_FIELDS = ["ContactID", "CustomerCode"]


@pytest.mark.parametrize(
    ("entity", "fields", "orderby", "where", "write"),
    [
        ("ARCustomer", CUSTOMER_FIELDS, "CustomerName", None, _rename),
        ("ARCustomer", CUSTOMER_FIELDS, "CustomerName", None, _insert),
        ("ARContact", CONTACT_FIELDS, "CustomerCode", "ContactID gt 2", _delete),
        ("ARCustomer", CUSTOMER_FIELDS, "BalanceTotal desc", "BalanceTotal gt 0", _receipt),
        ("ARCustomerList", CUSTOMER_FIELDS, "Balance1 desc,CustomerName", None, _month_end),
        ("OEOrder", ORDER_FIELDS, "CustomerCode,DocumentID", "DocumentDate ge 2024-01-01", _order),
    ],
    ids=["updated-in-place", "inserted", "deleted", "posted", "clock-moved", "order-entered"],
)
def test_a_query_paged_across_a_write_sees_it_as_a_fresh_query_would(
    sim: Sim,
    api: httpx.Client,
    entity: str,
    fields: list[str],
    orderby: str,
    where: str | None,
    write: Write,
) -> None:
    """The pages after a write hold what the data holds then, after the cursor: the order a
    query remembers for its later pages is forgotten by every kind of write."""
    key = fields[0]
    params = {"$select": ",".join(fields), "$orderby": orderby}
    if where:
        params["$filter"] = where
    first = api.get(f"/{entity}", params=params, headers=PAGE).json()
    last = first["value"][-1]
    before = _scan(api, entity, fields, where)
    after_last = set(_after(before, last, orderby, key))
    ahead = _in_order([row for row in before if row[key] in after_last], orderby, key)
    write(sim, api, ahead)
    expected = _after(_scan(api, entity, fields, where), last, orderby, key)
    rest, _pages = follow(api, first["@odata.nextLink"], headers=PAGE)
    assert [r[key] for r in rest] == expected
    assert [r[key] for r in rest] != [r[key] for r in ahead]  # the write showed


def test_later_pages_use_the_ordering_the_first_page_made(sim: Sim, api: httpx.Client) -> None:
    params = {"$select": "CustomerCode", "$orderby": "CustomerName"}
    first = api.get("/ARCustomer", params=params, headers=PAGE).json()
    remembered = sim.state.orderings.get(("ARCustomer", None, (("CustomerName", False),)))
    assert remembered is not None and len(remembered.rows) == 200
    api.get(first["@odata.nextLink"], headers=PAGE)
    again = sim.state.orderings.get(("ARCustomer", None, (("CustomerName", False),)))
    assert again is remembered


def test_only_the_last_few_orderings_are_remembered(sim: Sim, api: httpx.Client) -> None:
    for limit in range(10):
        params = {"$orderby": "CustomerName", "$filter": f"BalanceTotal gt {limit}"}
        assert api.get("/ARCustomer", params=params).status_code == 200
    assert len(sim.state.orderings) == REMEMBERED_ORDERINGS
