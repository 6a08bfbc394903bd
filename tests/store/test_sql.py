"""The portable bulk helpers, on both backends: one row, many rows, repeated keys."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from accredo_hubspot.store import StateStore
from accredo_hubspot.store import schema as tables
from accredo_hubspot.store.sql import chunked, insert_columns, insert_many, upsert

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _feed_state(name: str, value: str) -> dict[str, object]:
    return {"name": name, "state": value, "updated_at": AT}


def _feed_states(store: StateStore) -> dict[str, str]:
    table = tables.feed_states
    with store.engine.connect() as conn:
        return dict(conn.execute(select(table.c.name, table.c.state)).all())


def test_upsert_one_row_many_rows_and_repeated_keys(store: StateStore) -> None:
    def run(rows: list[dict[str, object]]) -> None:
        with store.engine.begin() as conn:
            upsert(conn, tables.feed_states, rows, keys=["name"], update=["state"])

    run([_feed_state("A", "1")])
    run([_feed_state("A", "2"), _feed_state("B", "1"), _feed_state("B", "3")])  # last wins
    run([])
    assert _feed_states(store) == {"A": "2", "B": "3"}


def test_upsert_without_updates_keeps_the_first_value(store: StateStore) -> None:
    with store.engine.begin() as conn:
        upsert(conn, tables.meta, [{"key": "k", "value": "first"}], keys=["key"])
        upsert(
            conn,
            tables.meta,
            [{"key": "k", "value": "x"}, {"key": "j", "value": "y"}],
            keys=["key"],
        )
    assert store.get_meta("k") == "first" and store.get_meta("j") == "y"


def test_insert_many_keeps_nulls_and_order(store: StateStore) -> None:
    row = {"at": AT, "side": "hubspot", "record_type": "company", "remote_id": None, "reason": "r"}
    packed = [zlib.compress(f'{{"f":[null,"{n}"]}}'.encode()) for n in range(3)]
    rows = [{**row, "record_key": f"R{n}", "changes": packed[n]} for n in range(3)]
    with store.engine.begin() as conn:
        insert_many(conn, tables.audit_log, rows)
        insert_many(conn, tables.audit_log, rows[:1])
    listed = store.list_audit()
    assert [e.record_key for e in listed] == ["R0", "R2", "R1", "R0"]
    assert listed[1].remote_id is None and listed[1].at == AT


def test_chunked() -> None:
    assert list(chunked([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunked([], 2)) == []


def test_insert_columns_stores_the_same_rows_as_insert_many(store: StateStore) -> None:
    columns: dict[str, list[object]] = {
        "name": ["A", "B", "C"],
        "state": ['{"p":"1"}', '{"p":"2"}', '{"p":"3"}'],
        "updated_at": [AT, AT, AT],
    }
    with store.engine.begin() as conn:
        insert_columns(conn, tables.feed_states, columns)
        insert_columns(conn, tables.feed_states, {name: [] for name in columns})
    assert _feed_states(store) == {"A": '{"p":"1"}', "B": '{"p":"2"}', "C": '{"p":"3"}'}
    assert store.get_feed_state("B") == {"p": "2"}


def test_insert_columns_refuses_columns_of_different_lengths(store: StateStore) -> None:
    with store.engine.begin() as conn, pytest.raises(ValueError, match="lengths"):
        insert_columns(conn, tables.meta, {"key": ["a", "b"], "value": ["1"]})


AWKWARD = ['{"p":"a \\"quoted\\" value"}', "back\\slash", "{braces},commas", "", "NULL", "Māori ✓"]


def test_bulk_rows_keep_every_character(store: StateStore) -> None:
    """Many rows go as one array per column (binary on PostgreSQL): quotes, backslashes,
    braces, commas, empty text, the word NULL and non-ASCII text come back as written."""
    rows = [_feed_state(f"K{n}", value) for n, value in enumerate(AWKWARD)]
    with store.engine.begin() as conn:
        upsert(conn, tables.feed_states, rows, keys=["name"], update=["state"])
    assert _feed_states(store) == {f"K{n}": value for n, value in enumerate(AWKWARD)}
    packed = [zlib.compress(value.encode()) for value in AWKWARD]
    row = {"at": AT, "side": "hubspot", "record_type": "company", "reason": "r"}
    with store.engine.begin() as conn:
        insert_many(
            conn,
            tables.audit_log,
            [
                {**row, "record_key": value, "remote_id": None if n % 2 else value, "changes": p}
                for n, (value, p) in enumerate(zip(AWKWARD, packed, strict=True))
            ],
        )
    with store.engine.connect() as conn:
        stored = conn.execute(
            select(
                tables.audit_log.c.record_key,
                tables.audit_log.c.remote_id,
                tables.audit_log.c.changes,
            ).order_by(tables.audit_log.c.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        (value, None if n % 2 else value, p)
        for n, (value, p) in enumerate(zip(AWKWARD, packed, strict=True))
    ]


@pytest.mark.postgres
def test_postgres_plans_each_statement_for_its_values(postgres_url: str) -> None:
    """No server-side prepared statements: a generic plan of a 500-key ``IN`` list would
    compare every row with every key (see store/engine.py)."""
    with StateStore.open(postgres_url) as store, store.engine.connect() as conn:
        driver_connection = conn.connection.driver_connection
        assert driver_connection is not None
        assert driver_connection.prepare_threshold is None
