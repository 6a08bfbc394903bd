"""In-memory tables indexed by key, with secondary indexes, for cheap paging by key."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

Row = dict[str, Any]


class Table:
    """Rows by primary key, keys kept sorted (paging starts by bisection, not by a scan)."""

    def __init__(self, key: str, index_fields: tuple[str, ...] = ()) -> None:
        self.key = key
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
        for row in rows:
            self.rows[row[self.key]] = row
            for f in self.index_fields:
                self.indexes[f].setdefault(row.get(f), []).append(row[self.key])
        self.keys = sorted(self.rows)
        for idx in self.indexes.values():
            for lst in idx.values():
                lst.sort()

    def insert(self, row: Row) -> None:
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
        if field not in self.indexes or old == new:
            return
        lst = self.indexes[field].get(old, [])
        j = bisect.bisect_left(lst, key)
        if j < len(lst) and lst[j] == key:
            del lst[j]
        bisect.insort(self.indexes[field].setdefault(new, []), key)
