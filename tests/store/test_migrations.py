"""Schema creation and migration at open: from empty, re-open, too new, a failing step."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, inspect, select, text

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.store import LATEST_VERSION, SchemaTooNewError, StateStore, StoreError
from accredo_hubspot.store import schema as tables
from accredo_hubspot.store.engine import create_store_engine
from accredo_hubspot.store.migrations import MIGRATIONS, current_version, migrate


def _version(url: str) -> int:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            return current_version(conn)
    finally:
        engine.dispose()


def test_open_creates_every_table_from_an_empty_database(store_url: str) -> None:
    assert _version(store_url) == 0
    with StateStore.open(store_url) as store:
        names = set(inspect(store.engine).get_table_names())
    assert names == set(tables.metadata.tables)
    assert _version(store_url) == LATEST_VERSION == len(MIGRATIONS)


def test_reopening_migrates_nothing_and_keeps_the_data(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        store.put_links({"ACME": "101"})
    with StateStore.open(store_url) as store:
        assert store.get_links() == {"ACME": "101"}
    assert _version(store_url) == LATEST_VERSION


def test_a_schema_newer_than_the_code_is_refused(store_url: str) -> None:
    StateStore.open(store_url).close()
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        conn.execute(tables.schema_version.update().values(version=LATEST_VERSION + 1))
    engine.dispose()
    with pytest.raises(SchemaTooNewError, match=rf"version {LATEST_VERSION + 1}, newer") as info:
        StateStore.open(store_url)
    assert isinstance(info.value, StoreError)
    assert isinstance(info.value, ConnectorError)


def test_a_failing_step_applies_nothing_and_names_the_step(store_url: str) -> None:
    def _v2_half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (id INTEGER PRIMARY KEY)"))
        conn.execute(text("SELECT * FROM no_such_table"))

    StateStore.open(store_url).close()
    engine = create_store_engine(store_url)
    try:
        with pytest.raises(StoreError, match=r"step 2 \(_v2_half_done\)"):
            migrate(engine, (*MIGRATIONS, _v2_half_done))
        assert "half_done" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(select(tables.schema_version.c.version)).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_new_step_is_applied_once_on_open(store_url: str) -> None:
    calls: list[int] = []

    def _v2_add_table(conn: Connection) -> None:
        calls.append(1)
        conn.execute(text("CREATE TABLE extra (id INTEGER PRIMARY KEY)"))

    steps = (*MIGRATIONS, _v2_add_table)
    engine = create_store_engine(store_url)
    try:
        assert migrate(engine, steps) == 2
        assert migrate(engine, steps) == 2
        assert calls == [1]
        assert "extra" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    with StateStore.open(sqlite_url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000


def test_an_unusable_url_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError) as info:
        StateStore.open("nosuchdb://user:hunter2@host/db")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/test",  # nothing listens on port 1
        "sqlite:////nonexistent-dir/state.db",
    ],
)
def test_an_unreachable_database_is_a_one_line_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="cannot open the state store at") as info:
        StateStore.open(url)
    message = str(info.value)
    assert "\n" not in message and "hunter2" not in message


def test_an_in_memory_sqlite_store_works() -> None:
    with StateStore.open("sqlite://") as store:
        store.put_links({"ACME": "101"})
        assert store.status().links == 1
