"""OData query building for Accredo: literals, ``$filter`` expressions, query strings, URLs.

Pure (no I/O). Literal forms follow reference §5.1: strings in single quotes with ``''`` for a
quote (``'O''Brien'``), dates unquoted (``2024-01-01``), ``true``/``false``, ``null``, numbers
as written. Keys follow §4: strings quoted, integers bare. The query string is percent-encoded
here, not by httpx, so its exact length is known before sending (§5.2: keep URLs under 2,000
characters; the server's real limit is unknown).

    >>> str(F("CustomerName").eq("O'Brien") & F("Inactive").eq(False))
    "CustomerName eq 'O''Brien' and Inactive eq false"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from urllib.parse import quote

#: Safe URL length for one request [assumed, reference §5.2].
MAX_URL_CHARS = 2000

#: Characters left unencoded in query values. ``+``, ``&``, ``=``, ``#``, ``%`` and spaces are
#: always encoded so the server cannot misread them.
_QUERY_SAFE = "$'(),:/@*!-_.~"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")

Literal = str | int | Decimal | float | bool | date | None
K = TypeVar("K")


def literal(value: Literal) -> str:
    """The OData literal for a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"not a finite number: {value}")
        return repr(value)
    if isinstance(value, datetime):
        raise TypeError("Accredo filters compare dates, not date-times; pass a date")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"no OData literal for {type(value).__name__}")


def key_segment(key: str | int) -> str:
    """The ``(key)`` part of an entity URL: strings quoted and escaped, integers bare."""
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise TypeError(f"an entity key is a str or int, not {type(key).__name__}")
    return "(" + quote(literal(key), safe="'") + ")"


def check_name(name: str) -> str:
    """A property or entity-set name, refused if it could smuggle query syntax."""
    if not _NAME.match(name):
        raise ValueError(f"not a valid OData name: {name!r}")
    return name


class Filter:
    """A ``$filter`` expression. Combine with ``&`` (and), ``|`` (or) and ``~`` (not)."""

    __slots__ = ("_atomic", "_text")

    def __init__(self, text: str, *, atomic: bool = False) -> None:
        self._text = text
        self._atomic = atomic

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Filter({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Filter) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)

    def grouped(self) -> str:
        """The text, parenthesised unless it is already one unit."""
        return self._text if self._atomic else f"({self._text})"

    def __and__(self, other: Filter) -> Filter:
        return and_(self, other)

    def __or__(self, other: Filter) -> Filter:
        return or_(self, other)

    def __invert__(self) -> Filter:
        return not_(self)


def and_(*filters: Filter) -> Filter:
    """All of the filters (each operand parenthesised unless atomic)."""
    return _join("and", filters)


def or_(*filters: Filter) -> Filter:
    """Any of the filters."""
    return _join("or", filters)


def not_(f: Filter) -> Filter:
    return Filter(f"not {f.grouped()}", atomic=True)


def _join(op: str, filters: Sequence[Filter]) -> Filter:
    if not filters:
        raise ValueError(f"'{op}' needs at least one filter")
    if len(filters) == 1:
        return filters[0]
    return Filter(f" {op} ".join(f.grouped() for f in filters))


@dataclass(frozen=True)
class F:
    """A property to compare: ``F("CustomerCode").eq("ABC")``."""

    name: str

    def __post_init__(self) -> None:
        check_name(self.name)

    def _cmp(self, op: str, value: Literal) -> Filter:
        return Filter(f"{self.name} {op} {literal(value)}", atomic=True)

    def eq(self, value: Literal) -> Filter:
        return self._cmp("eq", value)

    def ne(self, value: Literal) -> Filter:
        return self._cmp("ne", value)

    def gt(self, value: Literal) -> Filter:
        return self._cmp("gt", value)

    def ge(self, value: Literal) -> Filter:
        return self._cmp("ge", value)

    def lt(self, value: Literal) -> Filter:
        return self._cmp("lt", value)

    def le(self, value: Literal) -> Filter:
        return self._cmp("le", value)

    def contains(self, value: str) -> Filter:
        return Filter(f"contains({self.name},{literal(value)})", atomic=True)

    def startswith(self, value: str) -> Filter:
        return Filter(f"startswith({self.name},{literal(value)})", atomic=True)

    def endswith(self, value: str) -> Filter:
        return Filter(f"endswith({self.name},{literal(value)})", atomic=True)

    def in_(self, values: Iterable[Literal]) -> Filter:
        """``(K eq 'a' or K eq 'b')``: Accredo's support for OData ``in`` is unconfirmed
        (reference §14 q5), so key lists are spelled out with ``or``."""
        terms = [self.eq(v) for v in values]
        if not terms:
            raise ValueError(f"{self.name}: an 'in' list needs at least one value")
        if len(terms) == 1:
            return terms[0]
        return Filter("(" + " or ".join(str(t) for t in terms) + ")", atomic=True)


@dataclass(frozen=True)
class Query:
    """System query options for a collection GET."""

    filter: Filter | None = None
    select: Sequence[str] = ()
    orderby: Sequence[str] = ()
    expand: Sequence[str] = ()
    top: int | None = None
    skip: int | None = None
    count: bool = False

    def params(self) -> dict[str, str]:
        """The options as (unencoded) query parameters, in a stable order."""
        params: dict[str, str] = {}
        if self.filter is not None:
            params["$filter"] = str(self.filter)
        if self.select:
            params["$select"] = ",".join(check_name(s) for s in self.select)
        if self.orderby:
            params["$orderby"] = ",".join(_orderby_term(o) for o in self.orderby)
        if self.expand:
            params["$expand"] = ",".join(self.expand)
        if self.top is not None:
            params["$top"] = str(_non_negative("top", self.top))
        if self.skip is not None:
            params["$skip"] = str(_non_negative("skip", self.skip))
        if self.count:
            params["$count"] = "true"
        return params


def _orderby_term(term: str) -> str:
    parts = term.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
        raise ValueError(f"not a valid $orderby term: {term!r}")
    check_name(parts[0])
    return " ".join(parts)


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"${name} must not be negative")
    return value


def encode_query(params: Mapping[str, str]) -> str:
    """``k=v&k=v`` with every value percent-encoded (a ``+`` never stands for a space)."""
    return "&".join(f"{quote(k, safe='$')}={quote(v, safe=_QUERY_SAFE)}" for k, v in params.items())


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with the encoded query appended."""
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{encode_query(params)}"


def split_for_url(
    keys: Sequence[K],
    render: Callable[[Sequence[K]], str],
    *,
    max_chars: int = MAX_URL_CHARS,
) -> list[list[K]]:
    """Split ``keys`` into consecutive batches whose ``render(batch)`` URL fits ``max_chars``.

    Greedy: each batch is as large as it can be (found by binary search, since a URL only grows
    as keys are added). A single key that does not fit raises ``ValueError``.
    """
    batches: list[list[K]] = []
    start = 0
    while start < len(keys):
        if len(render(keys[start : start + 1])) > max_chars:
            raise ValueError(f"key {keys[start]!r} alone makes a URL over {max_chars} characters")
        low, high = 1, len(keys) - start  # low always fits
        while low < high:
            mid = (low + high + 1) // 2
            if len(render(keys[start : start + mid])) <= max_chars:
                low = mid
            else:
                high = mid - 1
        batches.append(list(keys[start : start + low]))
        start += low
    return batches
