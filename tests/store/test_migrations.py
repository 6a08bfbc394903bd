"""Schema creation and migration with Alembic at open: from empty, from the release before
Alembic, re-open, too new, a failing revision, a new revision; the migrated schema is the
schema the code declares."""

from __future__ import annotations

import json
import shutil
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text

from accredo_hubspot.errors import ConnectorError
from accredo_hubspot.store import (
    TO_HUBSPOT,
    QueueEntry,
    SchemaTooNewError,
    Side,
    StateStore,
    StoreError,
)
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
from accredo_hubspot.store.packing import unpack
from tests.store.conftest import queued

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


def _every_shadow(store: StateStore, *kinds: str) -> dict[tuple[str, str, str], dict[str, str]]:
    """(side, record type, key) -> values, of every side and the record types given."""
    return {
        (side, kind, key): values
        for side in SIDES
        for kind in kinds
        for key, values in store.get_shadows(side, kind).items()
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
        assert _every_shadow(store, "company", "contact") == JSON_SHADOWS
        store.put_shadows("hubspot", "company", {"ACME": {"fax": "09 555 0100"}})
        assert store.get_shadows("hubspot", "company", ["ACME"])["ACME"] == {
            **JSON_SHADOWS[("hubspot", "company", "ACME")],
            "fax": "09 555 0100",
        }
        with store.engine.connect() as conn:
            stored = conn.execute(select(tables.shadows.c.shadow)).scalars().all()
    assert len(stored) == len(JSON_SHADOWS)
    assert len({json.dumps(unpack(packed, "shadows")) for packed in stored}) > 1  # stored packed


T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
#: Shadows as the release before revision 0005 wrote them: the order rollups and the price
#: tier records of their own beside the company's, on more keys than one of its pages.
TYPED_SHADOWS = {
    ("hubspot", "company", "ACME"): {"name": "Acme Ltd", "city": "Whakatāne"},
    ("hubspot", "company_orders", "ACME"): {"orders_12m": "5", "last_order": "2026-02-27"},
    ("hubspot", "price_tier", "ACME"): {"price_tier": "B"},
    ("hubspot", "company_orders", "BETA"): {"orders_12m": "0"},  # no company shadow yet
    ("hubspot", "price_tier", "BETA"): {"price_tier": "A"},
    ("accredo", "company", "ACME"): {"Z_Industry": "NULL"},
    ("accredo", "price_tier", "ACME"): {"PriceCode": "B"},
    ("hubspot", "contact", "ACME"): {"email": "a@acme.nz"},
    **{
        ("hubspot", kind, f"K{n:05}"): {f"{kind}_value": str(n)}
        for n in range(1_100)
        for kind in ("company", "company_orders", "price_tier")
    },
}

#: When each type was synced: the company row keeps the newest time of the rows folded in.
SYNCED_HOURS = {"company_orders": 3, "price_tier": 2}


def test_revision_0005_folds_the_rollups_and_the_tier_into_the_company(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        migrate(engine, target="0004")
        with engine.begin() as conn:
            _typed_rows(conn)
    finally:
        engine.dispose()
    with StateStore.open(store_url) as store:
        assert store.revision == HEAD
        read = _every_shadow(store, "company", "contact", "company_orders", "price_tier")
        letters = store.list_dead_letters()
        with store.engine.connect() as conn:
            synced = dict(
                conn.execute(
                    select(tables.shadows.c.record_key, tables.shadows.c.synced_at).where(
                        tables.shadows.c.record_key.in_(["ACME", "BETA"]),
                        tables.shadows.c.side == "hubspot",
                        tables.shadows.c.record_type == "company",
                    )
                ).all()
            )
            queue = {row.record_key: row for row in conn.execute(select(tables.work_queue))}
            closed = conn.execute(
                select(tables.dead_letters.c.record_type, tables.dead_letters.c.record_key).where(
                    tables.dead_letters.c.resolved_at.is_not(None)
                )
            ).all()
        audited = [entry.record_key for entry in store.list_audit("company_orders")]
        store.complete("w1", [QueueEntry(TO_HUBSPOT, "company", "ACME")])
        still_queued = queued(store)
    expected: dict[tuple[str, str, str], dict[str, str]] = {}
    for (side, kind, key), values in TYPED_SHADOWS.items():
        company = "contact" if kind == "contact" else "company"
        expected.setdefault((side, company, key), {}).update(values)
    assert read == expected
    assert synced == {"ACME": T0 + timedelta(hours=3), "BETA": T0 + timedelta(hours=3)}
    assert {key: row.record_type for key, row in queue.items()} == {
        "ACME": "company",
        "BETA": "company",
    }
    acme = queue["ACME"]
    assert (acme.first_enqueued_at, acme.last_enqueued_at) == (T0, T0 + timedelta(minutes=9))
    assert (acme.reason, acme.source, acme.enqueue_count) == ("orders", "ARDELTA 7", 3)
    assert (acme.claimed_by, acme.claimed_count) == ("w1", 1)
    assert still_queued == ["ACME", "BETA"]  # w1 wrote the orders only: ACME is released
    assert sorted((letter.record_type, letter.record_key) for letter in letters) == [
        ("company", "ACME"),
        ("company", "GAMMA"),
    ]
    assert {letter.record_key: letter.reason for letter in letters}["GAMMA"] == "tier unknown"
    assert sorted(closed) == [("company", "GAMMA"), ("company_orders", "OLD")]
    assert audited == ["ACME"]  # history keeps its record types


def _typed_rows(conn: Connection) -> None:
    """Shadows, queued records, dead letters and an audit entry of the three record types."""
    conn.execute(
        tables.shadows.insert(),
        [
            {
                "side": side,
                "record_type": kind,
                "record_key": key,
                "shadow": zlib.compress(json.dumps(values).encode()),
                "synced_at": T0 + timedelta(hours=SYNCED_HOURS.get(kind, 1)),
            }
            for (side, kind, key), values in TYPED_SHADOWS.items()
        ],
    )
    queued = {"direction": "to_hubspot", "claimed_count": None, "claimed_by": None}
    conn.execute(
        tables.work_queue.insert(),
        [
            {
                **queued,
                "record_type": "company",
                "record_key": "ACME",
                "reason": "delta",
                "first_enqueued_at": T0 + timedelta(minutes=1),
                "last_enqueued_at": T0 + timedelta(minutes=5),
                "enqueue_count": 2,
                "source": "ARDELTA 3",
                "lease_expires_at": None,
            },
            {
                **queued,
                "record_type": "company_orders",
                "record_key": "ACME",
                "reason": "orders",
                "first_enqueued_at": T0,
                "last_enqueued_at": T0 + timedelta(minutes=9),
                "enqueue_count": 1,
                "source": "ARDELTA 7",
                "claimed_by": "w1",
                "claimed_count": 1,
                "lease_expires_at": T0 + timedelta(minutes=10),
            },
            {
                **queued,
                "record_type": "price_tier",
                "record_key": "BETA",
                "reason": "tier",
                "first_enqueued_at": T0,
                "last_enqueued_at": T0,
                "enqueue_count": 1,
                "source": None,
                "lease_expires_at": None,
            },
        ],
    )
    letter = {"side": "hubspot", "field": "price_tier", "payload": {}}
    conn.execute(
        tables.dead_letters.insert(),
        [
            {
                **letter,
                "record_type": kind,
                "record_key": key,
                "reason": reason,
                "created_at": T0 + timedelta(minutes=minutes),
                "resolved_at": resolved,
            }
            for kind, key, reason, minutes, resolved in [
                ("company_orders", "ACME", "orders unreadable", 0, None),
                ("company", "GAMMA", "tier unknown", 0, None),
                ("price_tier", "GAMMA", "tier unknown", 5, None),  # the same letter, newer
                ("company_orders", "OLD", "orders unreadable", 0, T0),
            ]
        ],
    )
    conn.execute(
        tables.audit_log.insert(),
        {
            "at": T0,
            "side": "hubspot",
            "record_type": "company_orders",
            "record_key": "ACME",
            "changes": zlib.compress(b'{"orders_12m":[null,"5"]}'),
            "reason": "backfill",
        },
    )


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
