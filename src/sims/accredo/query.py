"""Collection queries: options parsing, filtering, ordering and server-driven paging.

Paging follows reference 5.2: page = min(requested, maximum); ``$skiptoken`` encodes the last
row's sort values and key (not an offset), so paging is stable and starts by bisection on the
key order instead of scanning from the first row; ``$top`` larger than a page continues in the
next link; ``$skip`` applies before paging. A query in another order is filtered and sorted once
and remembered (``SimState.orderings``) until the data changes: its later pages bisect into it.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sims.accredo.odata import (
    ExpandItem,
    Predicate,
    QueryError,
    equality_set,
    key_lower_bound,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_select,
    sort_key,
)
from sims.accredo.schema import EntityDef
from sims.accredo.state import VIEWS, SimState
from sims.accredo.tables import Ordering, Row

KNOWN_OPTIONS = {
    "$filter",
    "$select",
    "$expand",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$skiptoken",
    "$format",
}


@dataclass
class Options:
    filter_text: str | None = None
    predicate: Predicate | None = None
    select: list[str] | None = None
    expand: list[ExpandItem] = field(default_factory=list)
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool = False
    skiptoken: str | None = None
    format: str | None = None


def filter_kinds(entity: EntityDef) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for name, f in entity.fields.items():
        if f.type in ("array", "ref"):
            continue
        if f.type == "string":
            kinds[name] = "date" if f.is_date else "string"
        elif f.type in ("integer", "number"):
            kinds[name] = "number"
        elif f.type == "boolean":
            kinds[name] = "boolean"
        else:
            kinds[name] = "any"
    return kinds


def _int_option(name: str, value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise QueryError(f"{name} must be a non-negative integer") from None
    if n < 0:
        raise QueryError(f"{name} must be a non-negative integer")
    return n


_FORMAT_RE = re.compile(
    r"^(?:json|application/json)(?:;\s*odata\.metadata=(?:minimal|full|none))?$", re.IGNORECASE
)


def _json_format(value: str) -> str:
    """``$format``: JSON only, optionally with its metadata level (reference 3.1)."""
    if not _FORMAT_RE.match(value.strip()):
        raise QueryError(f"Unsupported $format '{value}': the service answers JSON only")
    return value


def parse_options(
    params: Iterable[tuple[str, str]], state: SimState, entity: EntityDef, collection: bool
) -> Options:
    opts = Options()
    seen: set[str] = set()
    for raw_name, value in params:
        if not raw_name.startswith("$"):
            continue
        name = raw_name.lower()
        if name not in KNOWN_OPTIONS:
            raise QueryError(f"Unknown or unsupported query option '{raw_name}'")
        if name in seen:
            raise QueryError(f"Query option '{raw_name}' given more than once")
        seen.add(name)
        if not collection and name not in ("$select", "$expand", "$format"):
            raise QueryError(f"'{raw_name}' is not allowed when reading a single entity")
        if name == "$filter":
            opts.filter_text = value
            opts.predicate = parse_filter(
                value, filter_kinds(entity), state.defaults.get(entity.name)
            )
        elif name == "$select":
            allowed = {n for n, f in entity.fields.items() if f.type not in ("array", "ref")}
            allowed |= set(entity.navs)
            opts.select = parse_select(value, allowed, entity.name)
        elif name == "$expand":
            opts.expand = parse_expand(
                value, entity.navs, lambda nav: state.nav_fields(entity.name, nav)
            )
        elif name == "$orderby":
            scalars = {n: f for n, f in entity.fields.items() if f.type not in ("array", "ref")}
            opts.orderby = parse_orderby(value, scalars)
        elif name == "$top":
            opts.top = _int_option("$top", value)
        elif name == "$skip":
            opts.skip = _int_option("$skip", value)
        elif name == "$count":
            if value.lower() not in ("true", "false"):
                raise QueryError("$count must be true or false")
            opts.count = value.lower() == "true"
        elif name == "$skiptoken":
            opts.skiptoken = value
        elif name == "$format":
            opts.format = _json_format(value)
    return opts


def _query_of(entity: str, opts: Options) -> str:
    """What a skiptoken belongs to: the entity set, ``$filter`` and ``$orderby`` (a token
    handed to another query is foreign, reference 5.2)."""
    text = json.dumps([entity, opts.filter_text, opts.orderby], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_token(entity: str, opts: Options, values: list[Any]) -> str:
    raw = json.dumps([_query_of(entity, opts), values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(entity: str, opts: Options, token: str, width: int) -> list[Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise QueryError("Invalid $skiptoken") from None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or data[0] != _query_of(entity, opts)
        or not isinstance(data[1], list)
        or len(data[1]) != width
    ):
        raise QueryError("Invalid $skiptoken for this request")
    values: list[Any] = data[1]
    return values


@dataclass
class Page:
    rows: list[Row]
    next_token: str | None
    next_top: int | None
    count: int | None


def _ranker(orderby: list[tuple[str, bool]]) -> Callable[[list[Any]], Any]:
    """The rank of a row's sort values (its ``$orderby`` values, then its key): ranks compare
    as the rows are ordered, ties broken by the key. All ascending: a tuple of sort keys;
    any descending: a comparison."""
    if not any(desc for _name, desc in orderby):
        return lambda values: tuple(sort_key(v) for v in values)

    def cmp(a: list[Any], b: list[Any]) -> int:
        for i, (_name, desc) in enumerate(orderby):
            ka, kb = sort_key(a[i]), sort_key(b[i])
            if ka != kb:
                lt = ka < kb
                return (1 if lt else -1) if desc else (-1 if lt else 1)
        ka, kb = sort_key(a[-1]), sort_key(b[-1])
        return 0 if ka == kb else (-1 if ka < kb else 1)

    rank: Callable[[list[Any]], Any] = functools.cmp_to_key(cmp)
    return rank


def _ordering(
    state: SimState,
    entity: EntityDef,
    orderby: list[tuple[str, bool]],
    key: str,
    found: list[tuple[Row, Row]],
) -> Ordering:
    """The matching rows (each a table row and its view) sorted by ``$orderby``: the slow
    part of a query, done once for all its pages (remembered until the data changes). The
    table's rows are kept, not their views: a page makes the views of its own rows again."""
    names = [n for n, _d in orderby]
    defaults = state.defaults[entity.name]
    rank = _ranker(orderby)
    valued = [([v.get(n, defaults.get(n)) for n in names] + [v[key]], r) for r, v in found]
    ranked = sorted(((rank(v), v, r) for v, r in valued), key=lambda t: t[0])
    return Ordering(
        rows=[r for _k, _v, r in ranked],
        values=[v for _k, v, _r in ranked],
        ranks=[k for k, _v, _r in ranked],
    )


def run(state: SimState, entity: EntityDef, opts: Options, page_size: int) -> Page:
    """One page of a collection, as (view) rows in order."""
    view = VIEWS.get(entity.name)
    base = view[0] if view else entity.name
    table = state.tables[base]
    key = table.key
    view_fn: Callable[[SimState, Row], Row] | None = view[1] if view else None

    def transform(r: Row) -> Row:
        return view_fn(state, r) if view_fn else r

    pred = opts.predicate
    ftext = opts.filter_text
    candidates: list[Any] = table.keys
    # A view's key may not be its table's: only an entity's own rows are found by key.
    lookups = table.index_fields if view else (*table.index_fields, key)
    wanted = equality_set(ftext, lookups) if ftext else None
    if wanted is not None:
        field, values = wanted
        if field == key and not view:
            candidates = sorted({v for v in values if v in table.rows})
        else:
            candidates = sorted({k for v in values for k in table.by_index(field, v)})
    key_order = not opts.orderby or (len(opts.orderby) == 1 and opts.orderby[0][0] == key)
    desc = bool(opts.orderby) and key_order and opts.orderby[0][1]

    def matches(rows: Iterator[Row]) -> Iterator[Row]:
        for r in rows:
            v = transform(r)
            if pred is None or pred(v):
                yield v

    count = None
    remaining_top = opts.top
    limit = page_size if remaining_top is None else min(page_size, remaining_top)
    out: list[Row] = []
    if key_order:
        if opts.count:
            count = sum(1 for _ in matches(table.rows[k] for k in candidates))
        if opts.skiptoken:
            last = decode_token(entity.name, opts, opts.skiptoken, 1)[0]
            pos = (
                bisect.bisect_left(candidates, last)
                if desc
                else bisect.bisect_right(candidates, last)
            )
        else:
            pos = len(candidates) if desc else 0
            if ftext and not desc and candidates is table.keys:
                bound = key_lower_bound(ftext, key)
                if bound is not None and isinstance(bound[0], int):
                    first = bound[0]
                    pos = (
                        bisect.bisect_left(candidates, first)
                        if bound[1]
                        else bisect.bisect_right(candidates, first)
                    )
        indexes: Iterable[int] = range(pos - 1, -1, -1) if desc else range(pos, len(candidates))
        skip = 0 if opts.skiptoken else opts.skip
        source = matches(table.rows[candidates[i]] for i in indexes)
        for v in source:
            if skip:
                skip -= 1
                continue
            out.append(v)
            if len(out) > limit:
                break
        more = len(out) > limit
        out = out[:limit]
        token = encode_token(entity.name, opts, [out[-1][key]]) if more and out else None
    else:
        remembered = (entity.name, ftext, tuple(opts.orderby))
        ordering = state.orderings.get(remembered)
        if ordering is None:
            viewed = ((r, transform(r)) for r in (table.rows[k] for k in candidates))
            found = [(r, v) for r, v in viewed if pred is None or pred(v)]
            ordering = _ordering(state, entity, opts.orderby, key, found)
            state.orderings.put(remembered, ordering)
        if opts.count:
            count = len(ordering.rows)
        if opts.skiptoken:
            width = len(opts.orderby) + 1
            last_vals = decode_token(entity.name, opts, opts.skiptoken, width)
            start = bisect.bisect_right(ordering.ranks, _ranker(opts.orderby)(last_vals))
        else:
            start = opts.skip
        stop = start + limit
        out = [transform(r) for r in ordering.rows[start:stop]]
        more = len(ordering.rows) > stop
        token = encode_token(entity.name, opts, ordering.values[stop - 1]) if more and out else None
    next_top = None
    if remaining_top is not None:
        next_top = remaining_top - len(out)
        if next_top <= 0:
            token = None
    return Page(out, token, next_top, count)
