"""Portable bulk SQL helpers: upserts on SQLite and PostgreSQL, chunked ``IN`` lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import ColumnCollection

from accredo_hubspot.store.errors import StoreError

# Well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
IN_CHUNK = 500

T = TypeVar("T")
Excluded = ColumnCollection[str, Any]
SetClause = Callable[[Excluded], Mapping[str, ColumnElement[Any]]]


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str] = (),
    set_: SetClause | None = None,
) -> None:
    """Insert ``rows``; where a row with the same ``keys`` exists, update it instead.

    ``update`` names columns copied from the new row; ``set_`` builds further assignments from
    the ``excluded`` pseudo-table (e.g. a counter ``+ 1``). Rows repeating a key are collapsed,
    the last one winning, so PostgreSQL never updates one row twice in a statement.
    """
    if not rows:
        return
    key_of = itemgetter(*keys) if keys else (lambda _row: ())
    unique = list({key_of(row): row for row in rows}.values())
    dialect = conn.dialect.name
    stmt = insert_for(conn, table)
    assignments: dict[str, Any] = {name: stmt.excluded[name] for name in update}
    if set_ is not None:
        assignments.update(set_(stmt.excluded))
    if dialect == "sqlite" and len(unique) > 1 and set_ is None and _plain(table, unique[0]):
        _sqlite_executemany(conn, table, unique, keys=keys, update=update)
        return
    if dialect == "postgresql" and len(unique) > 1:
        columns = list(unique[0])
        stmt = stmt.from_select(columns, _unnest_rows(table, columns, unique))
        params: Any = None
    else:
        params = unique
    if assignments:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=assignments)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, params)


def stamp_unset(
    conn: Connection, table: Table, ids: Sequence[int], column: str, now: datetime
) -> int:
    """Set ``column`` to ``now`` on the rows ``ids`` where it is still NULL (a dead letter
    resolved, an event processed); returns how many rows changed."""
    changed = 0
    for chunk in chunked(list(dict.fromkeys(ids))):
        result = conn.execute(
            update(table)
            .where(table.c.id.in_(chunk), table.c[column].is_(None))
            .values({column: now})
        )
        changed += result.rowcount
    return changed


def insert_for(conn: Connection, table: Table) -> Any:
    """The dialect's ``INSERT`` for ``table``, with ``ON CONFLICT`` and ``RETURNING``."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise StoreError(f"the state store supports SQLite and PostgreSQL, not {dialect}")


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (columns without array support, such as JSON, excepted on PostgreSQL)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) > 1:
        columns = list(rows[0])
        conn.execute(table.insert().from_select(columns, _unnest_rows(table, columns, rows)))
    elif conn.dialect.name == "sqlite" and len(rows) > 1 and _plain(table, rows[0]):
        _sqlite_executemany(conn, table, rows)
    else:
        conn.execute(table.insert(), list(rows))


def insert_columns(conn: Connection, table: Table, columns: Mapping[str, Sequence[Any]]) -> None:
    """Insert rows given column by column (every column as long as the others).

    The same rows as ``insert_many`` without a mapping per row, for callers whose rows are
    already columns (a backfill's audit entries share their time, side and reason).
    """
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    count = lengths.pop() if lengths else 0
    if count == 0:
        return
    names = list(columns)
    if conn.dialect.name == "sqlite" and count > 1 and _plain(table, columns):
        _sqlite_insert_columns(conn, table, names, [list(columns[name]) for name in names])
        return
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    insert_many(conn, table, rows)


def _unnest_rows(table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
    """``SELECT unnest(:col1), unnest(:col2), ...``: many rows as one array per column.

    psycopg's executemany sends one message per row; one statement with an array per column is
    several times faster for the batches of hundreds of rows a backfill writes, and its SQL
    does not depend on the row count, so it is compiled once.
    """
    return select(
        *[
            func.unnest(
                bindparam(
                    f"rows_{name}",
                    value=[row[name] for row in rows],
                    type_=postgresql.ARRAY(table.c[name].type),
                )
            ).label(name)
            for name in columns
        ]
    )


#: SQLAlchemy's DateTime storage format on SQLite (naive UTC, microseconds always written).
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _plain(table: Table, row: Mapping[str, Any]) -> bool:
    """Whether every column of ``row`` is text, bytes, a number or a UTC datetime (no JSON)."""
    for name in row:
        kind = table.c[name].type
        if not isinstance(kind, String | Integer | Float | Numeric | LargeBinary) and not _is_utc(
            kind
        ):
            return False
    return True


def _is_utc(kind: Any) -> bool:
    return type(kind).__name__ == "UTCDateTime"


def _sqlite_executemany(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """Bulk rows through the driver's own ``executemany`` with positional tuples.

    SQLAlchemy's per-row parameter handling costs about as much as the backfill's HubSpot
    calls for the million shadow and audit rows of a 20,000-debtor backfill; the statement here
    is the same one SQLAlchemy would send, with datetimes written in its storage format.
    """
    columns = list(rows[0])
    values = [[row[name] for row in rows] for name in columns]
    _sqlite_insert_columns(conn, table, columns, values, keys=keys, update=update)


def _sqlite_insert_columns(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    values: list[list[Any]],
    *,
    keys: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """``_sqlite_executemany`` of rows given as one list per column (datetime lists are
    replaced in ``values`` by their stored text)."""
    sql = (
        f"INSERT INTO {_q(table.name)} ({', '.join(map(_q, columns))}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    if keys:
        conflict = f" ON CONFLICT ({', '.join(map(_q, keys))})"
        if update:
            sets = ", ".join(f"{_q(name)} = excluded.{_q(name)}" for name in update)
            sql += f"{conflict} DO UPDATE SET {sets}"
        else:
            sql += f"{conflict} DO NOTHING"
    # A backfill's rows share one timestamp: each distinct one is formatted once.
    for i, name in enumerate(columns):
        if _is_utc(table.c[name].type):
            values[i] = _sqlite_datetimes(values[i])
    conn.exec_driver_sql(sql, list(zip(*values, strict=True)))


def _q(name: str) -> str:
    """A quoted SQLite identifier (names come from the schema, never from input)."""
    return '"' + name.replace('"', '""') + '"'


def _sqlite_datetimes(values: Sequence[Any]) -> list[str | None]:
    """``_sqlite_datetime`` of each value, each distinct value converted once."""
    converted: dict[Any, str | None] = {}
    out: list[str | None] = []
    for value in values:
        text = converted.get(value, _UNSEEN)
        if text is _UNSEEN:
            text = converted[value] = _sqlite_datetime(value)
        out.append(text)
    return out


_UNSEEN: Any = object()


def _sqlite_datetime(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise StoreError("naive datetime given to the state store: pass an aware UTC value")
    return value.astimezone(UTC).strftime(SQLITE_DATETIME_FORMAT)
