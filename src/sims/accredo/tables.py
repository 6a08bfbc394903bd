"""In-memory tables indexed by key, with secondary indexes, for cheap paging by key; the
company's data version, and the query orderings remembered at one version."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


class UnversionedWrite(RuntimeError):
    """A table changed outside :meth:`DataVersion.change`: a remembered ordering would go stale."""


class DataVersion:
    """How often the company's data has changed. Every change (an insert, a delete, a row
    changed in place, seeding) is made inside :meth:`change`, which moves it on entering and on
    leaving, so an ordering remembered at one value is never served after a change (nor from
    before one, to code reading in the middle of it). Tables refuse inserts and deletes made
    outside a change."""

    def __init__(self) -> None:
        self.value = 0
        self._open = 0

    @contextmanager
    def change(self) -> Iterator[None]:
        self._open += 1
        self.value += 1
        try:
            yield
        finally:
            self.value += 1
            self._open -= 1

    def require_change(self) -> None:
        if not self._open:
            raise UnversionedWrite("a table changed outside DataVersion.change()")


@dataclass(frozen=True)
class Ordering:
    """A query's matching (table) rows in its order: each row's sort values (its ``$orderby``
    values, then its key: what a skiptoken holds) and their rank (ascending, for bisection)."""

    rows: list[Row]
    values: list[list[Any]]
    ranks: list[Any]


class Orderings:
    """The last few queries' orderings (least recently used dropped), valid at one data
    version: the pages of one large query bisect into it instead of filtering and sorting the
    whole table again. Any change to the data forgets them all."""

    def __init__(self, version: DataVersion, size: int) -> None:
        self._version = version
        self._size = size
        self._seen = version.value
        self._entries: OrderedDict[Hashable, Ordering] = OrderedDict()

    def __len__(self) -> int:
        self._forget_stale()
        return len(self._entries)

    def _forget_stale(self) -> None:
        if self._seen != self._version.value:
            self._entries.clear()
            self._seen = self._version.value

    def get(self, key: Hashable) -> Ordering | None:
        self._forget_stale()
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable, ordering: Ordering) -> None:
        self._forget_stale()
        self._entries[key] = ordering
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class Table:
    """Rows by primary key, keys kept sorted (paging starts by bisection, not by a scan).
    Inserts and deletes are refused outside a change of ``version``."""

    def __init__(self, key: str, version: DataVersion, index_fields: tuple[str, ...] = ()) -> None:
        self.key = key
        self.version = version
        self.rows: dict[Any, Row] = {}
        self.keys: list[Any] = []
        self.index_fields = index_fields
        self.indexes: dict[str, dict[Any, list[Any]]] = {f: {} for f in index_fields}

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: object) -> bool:
        return key in self.rows

    def get(self, key: Any) -> Row | None:
        return self.rows.get(key)

    def load(self, rows: list[Row]) -> None:
        """Bulk load (seeding): one sort instead of many insertions."""
        self.version.require_change()
        for row in rows:
            self.rows[row[self.key]] = row
            for f in self.index_fields:
                self.indexes[f].setdefault(row.get(f), []).append(row[self.key])
        self.keys = sorted(self.rows)
        for idx in self.indexes.values():
            for lst in idx.values():
                lst.sort()

    def insert(self, row: Row) -> None:
        self.version.require_change()
        key = row[self.key]
        if key in self.rows:
            raise KeyError(key)
        self.rows[key] = row
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)
        else:
            bisect.insort(self.keys, key)
        for f in self.index_fields:
            lst = self.indexes[f].setdefault(row.get(f), [])
            if not lst or key > lst[-1]:
                lst.append(key)
            else:
                bisect.insort(lst, key)

    def delete(self, key: Any) -> Row:
        self.version.require_change()
        row = self.rows.pop(key)
        i = bisect.bisect_left(self.keys, key)
        del self.keys[i]
        for f in self.index_fields:
            lst = self.indexes[f].get(row.get(f), [])
            j = bisect.bisect_left(lst, key)
            if j < len(lst) and lst[j] == key:
                del lst[j]
        return row

    def by_index(self, field: str, value: Any) -> list[Any]:
        return self.indexes[field].get(value, [])

    def rows_for(self, field: str, value: Any) -> Iterator[Row]:
        for k in self.by_index(field, value):
            yield self.rows[k]

    def next_int_key(self) -> int:
        return (self.keys[-1] if self.keys else 0) + 1

    def reindex(self, key: Any, field: str, old: Any, new: Any) -> None:
        """Move ``key`` between index buckets after ``field`` changed from old to new."""
        self.version.require_change()
        if field not in self.indexes or old == new:
            return
        lst = self.indexes[field].get(old, [])
        j = bisect.bisect_left(lst, key)
        if j < len(lst) and lst[j] == key:
            del lst[j]
        bisect.insort(self.indexes[field].setdefault(new, []), key)
