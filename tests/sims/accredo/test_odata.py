"""Unit tests of the $filter / $select / $orderby / $expand parser."""

from __future__ import annotations

from typing import Any

import pytest

from sims.accredo.odata import (
    QueryError,
    equality_set,
    key_lower_bound,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_select,
)

TYPES = {
    "CustomerCode": "string",
    "CustomerName": "string",
    "BalanceTotal": "number",
    "Inactive": "boolean",
    "DateOfLastSale": "date",
    "DeltaID": "number",
}
ROW: dict[str, Any] = {
    "CustomerCode": "OBRIEN",
    "CustomerName": "O'Brien Plumbing Ltd",
    "BalanceTotal": 1725.5,
    "Inactive": False,
    "DateOfLastSale": "2025-06-24",
    "DeltaID": 7,
}


def ok(text: str, row: dict[str, Any] = ROW) -> bool:
    return parse_filter(text, TYPES, {"CustomerName": ""})(row)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CustomerCode eq 'OBRIEN'", True),
        ("CustomerCode ne 'OBRIEN'", False),
        ("CustomerName eq 'O''Brien Plumbing Ltd'", True),
        ("BalanceTotal gt 1000 and BalanceTotal le 1725.5", True),
        ("BalanceTotal lt 1000 or Inactive eq FALSE", True),
        ("not (BalanceTotal ge 0)", False),
        ("Inactive eq false", True),
        ("Inactive eq True", False),
        ("Inactive", False),
        ("DateOfLastSale ge 2025-06-01", True),
        ("contains(CustomerName,'Plumb')", True),
        ("startswith(CustomerName, 'O''B')", True),
        ("endswith(CustomerName,'Ltd') and not contains(CustomerName,'Trust')", True),
        ("DateOfLastSale eq null", False),
        ("DateOfLastSale ne null", True),
        ("((CustomerCode eq 'X') or (CustomerCode eq 'OBRIEN')) and DeltaID gt 6", True),
        ("DeltaID gt -1", True),
        ("contains(CustomerCode, 'obrien')", False),  # case-sensitive by decision
    ],
)
def test_filter_evaluates(text: str, expected: bool) -> None:
    assert ok(text) is expected


def test_missing_property_reads_as_its_default() -> None:
    assert ok("CustomerName eq ''", {"CustomerCode": "X"})


def test_null_never_compares_greater() -> None:
    assert not ok("DateOfLastSale gt 2000-01-01", {**ROW, "DateOfLastSale": None})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "CustomerCode eq",
        "CustomerCode eq 'unterminated",
        "Nope eq 1",
        "customercode eq 'X'",  # property names are case-sensitive
        "Inactive eq 1",
        "BalanceTotal eq 'x'",
        "Inactive gt true",
        "substringof('a', CustomerName)",
        "contains(CustomerName)",
        "(CustomerCode eq 'X'",
        "CustomerCode eq 'X')",
        "CustomerCode in ('A','B')",
        "Contact/FullName eq 'x'",
        "CustomerCode eq 'X' xor Inactive",
        "CustomerCode § 'X'",
        # reference 5.1: only contains/startswith/endswith; dates are unquoted literals
        "tolower(CustomerCode) eq 'obrien'",
        "length(CustomerName) gt 3",
        "trim(CustomerName) eq 'x'",
        "DateOfLastSale lt '2025-06-01'",
        "CustomerCode eq 2025-06-01",
        "contains(DateOfLastSale,'2025')",
        "startswith(CustomerName,2025-06-01)",
    ],
)
def test_invalid_filters_raise_query_error(text: str) -> None:
    with pytest.raises(QueryError):
        parse_filter(text, TYPES)


def test_select_orderby_expand() -> None:
    assert parse_select("CustomerCode, BalanceTotal", TYPES, "ARCustomer") == [
        "CustomerCode",
        "BalanceTotal",
    ]
    with pytest.raises(QueryError):
        parse_select("CustomerCode,Bogus", TYPES, "ARCustomer")
    assert parse_orderby("BalanceTotal desc, CustomerCode", TYPES) == [
        ("BalanceTotal", True),
        ("CustomerCode", False),
    ]
    for bad in ("Bogus", "CustomerCode sideways", "CustomerCode asc desc"):
        with pytest.raises(QueryError):
            parse_orderby(bad, TYPES)
    fields = {"Contact": {"FullName": 1, "Role": 1}, "DeliveryAddress": {"DeliveryCode": 1}}
    items = parse_expand(
        "Contact($select=FullName,Role),DeliveryAddress",
        ("Contact", "DeliveryAddress"),
        lambda nav: fields[nav],
    )
    assert [(i.nav, i.select) for i in items] == [
        ("Contact", ["FullName", "Role"]),
        ("DeliveryAddress", None),
    ]
    with pytest.raises(QueryError):
        parse_expand("Line", ("Contact",), lambda nav: {})
    with pytest.raises(QueryError):
        parse_expand("Contact($top=1)", ("Contact",), lambda nav: fields[nav])
    with pytest.raises(QueryError):
        parse_expand("Contact($select=Nope)", ("Contact",), lambda nav: fields[nav])


def test_scan_hints() -> None:
    assert key_lower_bound("DeltaID gt 1041", "DeltaID") == (1041, False)
    assert key_lower_bound("AccountFile eq 'ARCUST' and DeltaID ge 5", "DeltaID") == (5, True)
    assert key_lower_bound("DeltaID gt 5 or DeltaID lt 2", "DeltaID") is None
    assert equality_set("CustomerCode eq 'O''BRIEN' and X eq 1", ("CustomerCode",)) == (
        "CustomerCode",
        ["O'BRIEN"],
    )
    assert equality_set("CustomerCode eq 'A' or Inactive", ("CustomerCode",)) is None


def test_equality_sets() -> None:
    """Batched look-ups by key or index; anything else is left to the scan."""
    fields = ("CustomerCode", "TransactionID")
    assert equality_set("(CustomerCode eq 'A' or CustomerCode eq 'O''B')", fields) == (
        "CustomerCode",
        ["A", "O'B"],
    )
    assert equality_set("TransactionID eq 9 or TransactionID eq 10", fields) == (
        "TransactionID",
        [9, 10],
    )
    assert equality_set("CustomerCode eq 'A'", fields) == ("CustomerCode", ["A"])
    assert equality_set(
        "(CustomerCode eq 'A' or CustomerCode eq 'B') and UnallocatedAmount ne 0", fields
    ) == ("CustomerCode", ["A", "B"])
    assert equality_set("CustomerCode eq 'A' and CustomerCode eq 'B'", fields) == (
        "CustomerCode",
        ["A"],  # rows to test, not rows that match
    )
    assert equality_set("Inactive and (TransactionID eq 1 or TransactionID eq 2)", fields) == (
        "TransactionID",
        [1, 2],
    )
    for text in [
        "CustomerCode eq 'A' or TransactionID eq 9",  # two fields
        "CustomerCode eq 'A' or CustomerCode ne 'B'",
        "(CustomerCode eq 'A') or (CustomerCode eq 'B')",
        "TransactionID eq 9.5",
        "CustomerName eq 'A'",  # neither key nor index
        "CustomerCode eq 'A' or",
        "Inactive and CustomerCode eq 'A' or CustomerCode eq 'B'",  # (x and a) or b
        "not (CustomerCode eq 'A' or CustomerCode eq 'B')",
    ]:
        assert equality_set(text, fields) is None, text
