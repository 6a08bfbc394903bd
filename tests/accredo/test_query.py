"""Query builder, literal escaping and URL-length batching (reference §4, §5)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accredo_hubspot.accredo.query import (
    F,
    Filter,
    Query,
    encode_query,
    key_segment,
    literal,
    not_,
    or_,
    split_for_url,
    with_query,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("O'Brien", "'O''Brien'"),
        ("''", "''''''"),
        ("Ōtāhuhu", "'Ōtāhuhu'"),
        ("", "''"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-42, "-42"),
        (Decimal("1725.50"), "1725.50"),
        (Decimal("1E+3"), "1000"),
        (2.5, "2.5"),
        (date(2024, 7, 1), "2024-07-01"),
    ],
)
def test_literal_forms(value: object, expected: str) -> None:
    assert literal(value) == expected  # type: ignore[arg-type]


def test_literal_refuses_datetimes_and_non_finite_numbers() -> None:
    with pytest.raises(TypeError):
        literal(datetime(2024, 1, 1, 12, 0))
    with pytest.raises(ValueError):
        literal(float("nan"))
    with pytest.raises(ValueError):
        literal(Decimal("Infinity"))
    with pytest.raises(TypeError):
        literal([1, 2])  # type: ignore[arg-type]


@given(st.text())
def test_string_literal_round_trips(text: str) -> None:
    lit = literal(text)
    assert lit.startswith("'") and lit.endswith("'")
    inner = lit[1:-1]
    # every quote inside is doubled, so no lone quote can end the literal early
    assert inner.replace("''", "").count("'") == 0
    assert inner.replace("''", "'") == text


def test_key_segments() -> None:
    assert key_segment("O'BRIEN") == "('O''BRIEN')"
    assert key_segment(414) == "(414)"
    assert key_segment("A B/C") == "('A%20B%2FC')"
    with pytest.raises(TypeError):
        key_segment(True)


def test_filter_composition() -> None:
    name = F("CustomerName").eq("O'Brien")
    active = F("Inactive").eq(False)
    assert str(name & active) == "CustomerName eq 'O''Brien' and Inactive eq false"
    assert str(name | active) == "CustomerName eq 'O''Brien' or Inactive eq false"
    assert str(~active) == "not Inactive eq false"
    both = (name | active) & F("BalanceTotal").gt(Decimal("0"))
    assert str(both) == "(CustomerName eq 'O''Brien' or Inactive eq false) and BalanceTotal gt 0"
    assert str(not_(name | active)) == "not (CustomerName eq 'O''Brien' or Inactive eq false)"
    assert str(F("DocumentDate").ge(date(2024, 1, 1))) == "DocumentDate ge 2024-01-01"
    assert str(F("BusinessNo").eq(None)) == "BusinessNo eq null"
    assert str(F("CustomerName").contains("Ltd")) == "contains(CustomerName,'Ltd')"
    assert str(F("CustomerCode").startswith("A'")) == "startswith(CustomerCode,'A''')"


def test_in_lists_are_spelled_with_or() -> None:
    assert str(F("K").in_(["a", "b"])) == "(K eq 'a' or K eq 'b')"
    assert str(F("K").in_([7])) == "K eq 7"
    combined = F("CustomerCode").in_(["A", "B"]) & F("UnallocatedAmount").ne(0)
    expected = "(CustomerCode eq 'A' or CustomerCode eq 'B') and UnallocatedAmount ne 0"
    assert str(combined) == expected
    with pytest.raises(ValueError):
        F("K").in_([])
    with pytest.raises(ValueError):
        or_()


def test_names_cannot_smuggle_syntax() -> None:
    with pytest.raises(ValueError):
        F("Name eq 'x' or 1")
    with pytest.raises(ValueError):
        Query(select=["A,B"]).params()
    with pytest.raises(ValueError):
        Query(orderby=["DeltaID sideways"]).params()


def test_query_params_and_encoding() -> None:
    q = Query(
        filter=F("CustomerName").eq("Bowen Paint & Paper + Co"),
        select=["CustomerCode", "CustomerName"],
        orderby=["CustomerCode desc"],
        top=5,
        skip=10,
        count=True,
    )
    url = with_query("http://h/saturn/odata4/v1/Company('DEMO')/ARCustomer", q.params())
    parsed = parse_qs(urlsplit(url).query)
    assert parsed["$filter"] == ["CustomerName eq 'Bowen Paint & Paper + Co'"]
    assert parsed["$select"] == ["CustomerCode,CustomerName"]
    assert parsed["$orderby"] == ["CustomerCode desc"]
    assert parsed["$top"] == ["5"] and parsed["$skip"] == ["10"] and parsed["$count"] == ["true"]
    assert "+" not in urlsplit(url).query  # a '+' would be read as a space
    assert encode_query({}) == ""
    assert with_query("http://h/x?a=1", {"b": "2"}) == "http://h/x?a=1&b=2"


def test_filter_equality() -> None:
    assert F("A").eq(1) == Filter("A eq 1")
    assert len({F("A").eq(1), F("A").eq(1)}) == 1


def _render(keys: object) -> str:
    codes = list(keys)  # type: ignore[call-overload]
    base = "http://127.0.0.1:8081/saturn/odata4/v1/Company('DEMO')/ARCustomer"
    return with_query(base, {"$filter": str(F("CustomerCode").in_(codes))})


def test_split_for_url_keeps_every_url_short_and_keeps_order() -> None:
    codes = [f"C{n:05d}'X" for n in range(700)]
    batches = split_for_url(codes, _render, max_chars=2000)
    assert [c for b in batches for c in b] == codes
    assert len(batches) > 1
    for batch in batches:
        assert len(_render(batch)) <= 2000
    # greedy: adding the next key to any batch but the last would overflow
    for batch, nxt in itertools.pairwise(batches):
        assert len(_render([*batch, nxt[0]])) > 2000


@given(st.lists(st.text(min_size=1, max_size=16), max_size=60), st.integers(300, 3000))
def test_split_for_url_property(codes: list[str], max_chars: int) -> None:
    if codes and len(_render(codes[:1])) > max_chars:
        with pytest.raises(ValueError):
            split_for_url(codes, _render, max_chars=max_chars)
        return
    batches = split_for_url(codes, _render, max_chars=max_chars)
    assert [c for b in batches for c in b] == codes
    assert all(b and len(_render(b)) <= max_chars for b in batches)
