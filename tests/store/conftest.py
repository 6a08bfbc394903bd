"""Fixtures giving each test a fresh state-store database, on SQLite on disk and on PostgreSQL.

PostgreSQL tests run at ``TEST_POSTGRES_URL`` (default: the local server with trust auth,
database ``test``), each in a schema of its own that is dropped afterwards; they skip, saying
why, when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url, select

from accredo_hubspot.store import TO_HUBSPOT, Direction, StateStore, schema

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _libpq_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@cache
def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run, or None when the server answers."""
    try:
        with psycopg.connect(_libpq_dsn(POSTGRES_URL), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL server answers at {POSTGRES_URL} ({first_line})"
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema, dropped after the test."""
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    dsn = _libpq_dsn(POSTGRES_URL)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database: SQLite on disk, then PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(store_url: str) -> Iterator[StateStore]:
    with StateStore.open(store_url) as opened:
        yield opened


def queued(
    store: StateStore, direction: Direction = TO_HUBSPOT, record_type: str = "company"
) -> list[str]:
    """The keys queued in one direction for one record type, oldest first, claimed or not
    (read without claiming them)."""
    queue = schema.work_queue.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(queue.record_key)
            .where(queue.direction == direction, queue.record_type == record_type)
            .order_by(queue.id)
        )
        return list(rows.scalars())


class StepClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def timed_store(store_url: str, clock: StepClock) -> Iterator[StateStore]:
    with StateStore.open(store_url, clock=clock) as opened:
        yield opened
