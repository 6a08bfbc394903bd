"""Schema creation and migration with Alembic at open: from empty, from the release before
Alembic, re-open, too new, a failing revision, a new revision; the migrated schema is the
schema the code declares."""

from __future__ import annotations

import json
import shutil
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.store import SchemaTooNewError, Side, StateStore, StoreError
from accredo_hubspot.store import schema as tables
from accredo_hubspot.store.engine import create_store_engine
from accredo_hubspot.store.migrations import (
    PAST_V1_VERSION,
    SCRIPTS,
    V1_REVISION,
    current_revision,
    head_revision,
    migrate,
)

HEAD = head_revision()
#: Processes opening a new database at once.
OPENERS = 8


def _revision(url: str) -> str | None:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            return current_revision(conn)
    finally:
        engine.dispose()


def _scripts_with(tmp_path: Path, revision: str, doc: str, body: str) -> str:
    """A copy of the shipped revisions plus one more after the head."""
    where = tmp_path / "migrations"
    shutil.copytree(SCRIPTS, where, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    (where / "versions" / f"{revision}_extra.py").write_text(
        f'"""{doc}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f"revision = {revision!r}\ndown_revision = {HEAD!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:\n{body}\n",
        encoding="utf-8",
    )
    return str(where)


def test_open_creates_every_table_from_an_empty_database(store_url: str) -> None:
    assert _revision(store_url) is None
    with StateStore.open(store_url) as store:
        names = set(inspect(store.engine).get_table_names())
        assert store.revision == HEAD
    assert names == set(tables.metadata.tables) | {"alembic_version"}
    assert _revision(store_url) == HEAD


@pytest.mark.parametrize("path", ["fresh", "through every revision"])
def test_the_migrated_schema_is_the_declared_schema(store_url: str, path: str) -> None:
    """An empty database is created at the head directly; an old one goes through the
    revisions. Both end with exactly the tables, columns and indexes ``schema`` declares."""
    engine = create_store_engine(store_url)
    try:
        if path == "fresh":
            migrate(engine)
        else:
            migrate(engine, target=V1_REVISION)
            assert migrate(engine) == HEAD
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), tables.metadata)
            version = conn.execute(select(tables.schema_version.c.version)).scalar_one()
    finally:
        engine.dispose()
    assert differences == []
    assert version == PAST_V1_VERSION  # the release before Alembic refuses this database


SIDES: tuple[Side, ...] = ("hubspot", "accredo")
#: Shadow values as a release before revision 0004 wrote them (JSON text): awkward text, and
#: enough records of several sides and types to take more than one of the revision's pages.
JSON_SHADOWS = {
    ("hubspot", "company", "ACME"): {
        "name": 'Acme "Tools" Ltd',
        "notes": "back\\slash, {braces}\nnew line",
        "city": "Whakatāne ✓",
        "fax": "",
    },
    ("accredo", "company", "ACME"): {"Z_Industry": "NULL"},
    **{
        (side, kind, f"K{n:05}"): {"p": str(n), "q": "x" * (n % 7)}
        for n in range(2_100)
        for side, kind in [(("hubspot", "accredo")[n % 2], ("company", "contact")[n % 3 % 2])]
    },
}


def test_revision_0004_packs_json_shadows_keeping_every_value(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        migrate(engine, target="0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO shadows (side, record_type, record_key, shadow, synced_at) "
                    "VALUES (:side, :kind, :key, :shadow, '2026-03-01 09:30:00')"
                ),
                [
                    {
                        "side": side,
                        "kind": kind,
                        "key": key,
                        "shadow": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
                    }
                    for (side, kind, key), values in JSON_SHADOWS.items()
                ],
            )
    finally:
        engine.dispose()
    with StateStore.open(store_url) as store:
        assert store.revision == HEAD
        read = {
            (side, kind, key): values
            for side in SIDES
            for kind in ("company", "contact")
            for key, values in store.get_shadows(side, kind).items()
        }
        assert read == JSON_SHADOWS
        store.put_shadows("hubspot", "company", {"ACME": {"fax": "09 555 0100"}})
        assert store.get_shadows("hubspot", "company", ["ACME"])["ACME"] == {
            **JSON_SHADOWS[("hubspot", "company", "ACME")],
            "fax": "09 555 0100",
        }
        with store.engine.connect() as conn:
            stored = conn.execute(select(tables.shadows.c.shadow)).scalars().all()
    assert len(stored) == len(JSON_SHADOWS)
    assert len({zlib.decompress(packed) for packed in stored}) > 1  # stored compressed


def test_reopening_migrates_nothing_and_keeps_the_data(store_url: str) -> None:
    with StateStore.open(store_url) as store:
        store.put_links("company", {"ACME": "101"})
    with StateStore.open(store_url) as store:
        assert store.get_links("company") == {"ACME": "101"}
    assert _revision(store_url) == HEAD


@pytest.mark.parametrize("newer", ["alembic", "schema_version"])
def test_a_schema_newer_than_the_code_is_refused(store_url: str, newer: str) -> None:
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        if newer == "alembic":
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
            expected = "revision 9999, newer"
        else:  # a release before Alembic that was newer than the one this code starts from
            tables.schema_version.create(conn)
            conn.execute(tables.schema_version.insert().values(id=1, version=7))
            expected = "revision schema_version 7, newer"
    engine.dispose()
    with pytest.raises(SchemaTooNewError, match=expected) as info:
        StateStore.open(store_url)
    assert isinstance(info.value, StoreError)
    assert isinstance(info.value, ConnectorError)
    assert "upgrade accredo-hubspot" in str(info.value)


def test_a_failing_revision_applies_nothing_and_names_the_revision(
    store_url: str, tmp_path: Path
) -> None:
    scripts = _scripts_with(
        tmp_path,
        "0900",
        "Half done",
        '    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.execute("SELECT * FROM no_such_table")',
    )
    StateStore.open(store_url).close()
    engine = create_store_engine(store_url)
    try:
        with pytest.raises(StoreError, match=r"revision 0900 \(Half done\) failed"):
            migrate(engine, scripts)
        assert "half_done" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert current_revision(conn) == HEAD
    finally:
        engine.dispose()


def test_a_new_revision_is_applied_once(store_url: str, tmp_path: Path) -> None:
    scripts = _scripts_with(
        tmp_path,
        "0901",
        "Extra table",
        '    table = op.create_table("extra", sa.Column("id", sa.Integer, primary_key=True))\n'
        "    op.bulk_insert(table, [{'id': 1}])",
    )
    StateStore.open(store_url).close()
    engine = create_store_engine(store_url)
    try:
        assert migrate(engine, scripts) == "0901"
        assert migrate(engine, scripts) == "0901"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM extra")).scalar_one() == 1
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
        store.put_links("company", {"ACME": "101"})
        assert store.status().links == 1


def test_processes_opening_a_new_database_at_once_migrate_it_once(store_url: str) -> None:
    """Several processes started together on an empty database: one creates the schema while
    the others wait (PostgreSQL: the advisory lock; SQLite: the write lock, and the switch to
    WAL mode retried), then find it in place. On SQLite a first open was refused "database is
    locked" about once in 200 rounds of eight openers, so SQLite runs 20 rounds (new files)."""
    rounds = 20 if store_url.startswith("sqlite") else 1
    for round_number in range(rounds):
        url = store_url.replace("state.db", f"state{round_number}.db")
        start = threading.Barrier(OPENERS)

        def opener(_: int, url: str = url, start: threading.Barrier = start) -> str | None:
            start.wait()
            with StateStore.open(url) as store:
                return store.revision

        with ThreadPoolExecutor(max_workers=OPENERS) as pool:
            revisions = list(pool.map(opener, range(OPENERS)))
        assert revisions == [HEAD] * OPENERS
        assert _revision(url) == HEAD
