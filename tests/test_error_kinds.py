"""One error policy: every error of either client and of the store says whether to retry it,
dead-letter its record, or stop."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from accredo_hubspot.accredo import errors as accredo
from accredo_hubspot.errors import ClassifiedError, ConfigError, ErrorKind
from accredo_hubspot.hubspot import errors as hubspot
from accredo_hubspot.store.errors import LinkConflictError, StoreError, store_error

RETRIABLE, PER_RECORD, FATAL = ErrorKind.RETRIABLE, ErrorKind.PER_RECORD, ErrorKind.FATAL


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, FATAL),
        (403, FATAL),
        (404, PER_RECORD),
        (400, PER_RECORD),
        (409, PER_RECORD),
        (412, PER_RECORD),
        (428, FATAL),
        (429, RETRIABLE),
        (500, RETRIABLE),
        (503, RETRIABLE),
    ],
)
def test_accredo_answers_have_a_kind(status: int, kind: ErrorKind) -> None:
    error = accredo.error_from_response(status, None, {}, method="PATCH", path="/x")
    assert error.kind is kind


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, FATAL),
        (403, FATAL),
        (404, PER_RECORD),
        (400, PER_RECORD),
        (409, PER_RECORD),
        (414, PER_RECORD),
        (423, RETRIABLE),
        (429, RETRIABLE),
        (477, RETRIABLE),
        (502, RETRIABLE),
    ],
)
def test_hubspot_answers_have_a_kind(status: int, kind: ErrorKind) -> None:
    assert hubspot.error_from_response(status, {"message": "x"}).kind is kind


def test_network_failures_are_retriable_on_both_sides() -> None:
    for error in (
        accredo.RequestNotSent("refused"),
        accredo.AccredoTransientError("reset"),
        hubspot.HubSpotRequestNotSent("refused"),
        hubspot.HubSpotTransientError("reset"),
    ):
        assert error.kind is RETRIABLE


def test_every_known_error_is_classified_and_the_connector_s_own_stop() -> None:
    for root in (accredo.AccredoError, hubspot.HubSpotError, StoreError, ConfigError):
        assert issubclass(root, ClassifiedError)
    assert ConfigError("HUBSPOT_ACCESS_TOKEN is missing").kind is FATAL
    assert StoreError("schema too new").kind is FATAL
    assert LinkConflictError("1", "A", "B").kind is PER_RECORD


def test_a_locked_sqlite_database_is_retriable_a_missing_table_is_not(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as locked, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(OperationalError) as missing, engine.connect() as conn:
            conn.execute(text("SELECT * FROM nowhere"))
    finally:
        engine.dispose()
        holder.execute("ROLLBACK")
        holder.close()
    assert store_error("could not write", locked.value).kind is RETRIABLE
    assert store_error("could not read", missing.value).kind is FATAL


def test_an_unreachable_postgresql_is_retriable() -> None:
    engine = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2}
    )
    try:
        with pytest.raises(OperationalError) as refused:
            engine.connect()
    finally:
        engine.dispose()
    assert store_error("could not read", refused.value).kind is RETRIABLE
