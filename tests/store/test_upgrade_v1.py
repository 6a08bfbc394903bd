"""A state database made by the release before Alembic (tests/fixtures/state-v1.sqlite) is
upgraded in place with nothing lost: links and how they were made, every shadow value, the
cursors, the queued records, the dead letters, every audited field. On PostgreSQL the same
rows are loaded into a schema at revision 0001 first."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, select

from accredo_hubspot.store import TO_HUBSPOT, DeadLetter, StateStore
from accredo_hubspot.store import schema as tables
from accredo_hubspot.store.engine import create_store_engine
from accredo_hubspot.store.migrations import PAST_V1_VERSION, V1_REVISION, head_revision, migrate
from tests.store.conftest import queued as queued_keys

FIXTURE = Path(__file__).parents[1] / "fixtures" / "state-v1.sqlite"
CO = "company"


def _v1(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "state-v1.sqlite"
    shutil.copyfile(FIXTURE, copy)
    return copy


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def v1_url(request: pytest.FixtureRequest, v1_copy: Path) -> str:
    """The fixture's database as it was: the SQLite file, or its rows in a PostgreSQL schema
    made by revision 0001 (ids and all)."""
    if request.param == "sqlite":
        return f"sqlite:///{v1_copy}"
    url = str(request.getfixturevalue("postgres_url"))
    engine = create_store_engine(url)
    source = create_engine(f"sqlite:///{v1_copy}")
    try:
        migrate(engine, target=V1_REVISION)
        old = MetaData()
        old.reflect(source)
        with source.connect() as read, engine.begin() as write:
            for table in old.sorted_tables:
                if table.name != "schema_version":
                    rows = [dict(row._mapping) for row in read.execute(select(table))]
                    if rows:
                        write.execute(table.insert(), rows)
    finally:
        source.dispose()
        engine.dispose()
    return url


def test_a_v1_database_is_upgraded_with_nothing_lost(v1_copy: Path, v1_url: str) -> None:
    links = _v1(v1_copy, "SELECT customer_code, company_id, via FROM links")
    shadows = _v1(v1_copy, "SELECT customer_code, property, value FROM shadows")
    cursors = _v1(v1_copy, "SELECT name, position FROM cursors")
    queued = _v1(v1_copy, "SELECT customer_code, reason, enqueue_count FROM work_queue ORDER BY id")
    letters = _v1(v1_copy, "SELECT id, record_key, field, reason, payload FROM dead_letters")
    open_ids = {
        row[0] for row in _v1(v1_copy, "SELECT id FROM dead_letters WHERE resolved_at IS NULL")
    }
    audited = _v1(
        v1_copy, "SELECT record_key, field, old_value, new_value, reason, remote_id FROM audit_log"
    )
    meta = _v1(v1_copy, "SELECT key, value FROM meta")
    assert len(links) == 12 and len(shadows) > 300 and len(queued) == 2 and len(open_ids) == 1

    with StateStore.open(v1_url) as store:
        assert store.revision == head_revision()
        assert store.get_links(CO) == {code: company for code, company, _via in links}
        shadow = store.get_shadows("hubspot", CO)
        assert sorted(
            (c, p, v) for c, values in shadow.items() for p, v in values.items()
        ) == sorted(shadows)
        assert store.get_shadows("accredo", CO) == {}
        assert store.get_cursors() == dict(cursors)
        assert queued_keys(store) == [code for code, _reason, _n in queued]
        open_letters = store.list_dead_letters()
        assert [(r.id, r.record_type, r.record_key, r.field, r.reason) for r in open_letters] == [
            (i, CO, key, field, reason) for i, key, field, reason, _p in letters if i in open_ids
        ]
        assert open_letters[0].payload["properties"] == {"industry": "BOATS"}
        entries = store.list_audit(CO, limit=10_000)
        assert sorted(
            (e.record_key, f, old, new, e.reason, e.remote_id)
            for e in entries
            for f, (old, new) in e.changes.items()
        ) == sorted(audited)
        assert len(entries) < len(audited)  # one entry per record write, not per field
        assert {k: store.get_meta(k) for k, _v in meta} == dict(meta)
        with store.engine.connect() as conn:
            rows = conn.execute(select(tables.links.c.accredo_key, tables.links.c.via)).all()
            version = conn.execute(select(tables.schema_version.c.version)).scalar_one()
    assert dict(rows) == {code: via for code, _company, via in links}
    assert {"nzbn", "code", "new"} <= set(dict(rows).values())
    assert version == PAST_V1_VERSION


def test_the_upgraded_database_takes_new_work(v1_url: str) -> None:
    with StateStore.open(v1_url) as store:
        store.enqueue(TO_HUBSPOT, CO, ["NEW1", "MOUNTM"], "accredo change")
        assert queued_keys(store) == ["MOUNTM", "NGAITA", "NEW1"]
        store.add_dead_letters([DeadLetter(CO, "NEW1", "hubspot", "name", "too long")])
        ids = [letter.id for letter in store.list_dead_letters()]
        assert ids == sorted(set(ids)) and len(ids) == 2  # new ids follow the copied ones
    with StateStore.open(v1_url) as store:  # reopened: nothing more to migrate
        assert store.queue_depth() == 3
