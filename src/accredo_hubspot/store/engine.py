"""Engines for the state store: SQLite tuned for one writer and many readers, or PostgreSQL.

SQLite runs in WAL mode (readers never block the writer) with a busy timeout (a second process,
such as ``accredo-hubspot status``, waits instead of failing). The sqlite3 module's own implicit
transactions are switched off and SQLAlchemy emits ``BEGIN`` itself, so a write transaction can
start with ``BEGIN IMMEDIATE``: it takes the write lock up front, and a read followed by a write
cannot fail half-way with "database is locked" (the pattern in SQLAlchemy's pysqlite docs,
"Serializable isolation / Savepoints / Transactional DDL").

On PostgreSQL through psycopg, each statement is planned for its own values
(``prepare_threshold = None``: no server-side prepared statements). A prepared statement is
given a generic plan after five runs, and the generic plan of a 500-key ``IN`` list compares
every row with every key: the store's look-ups by key then grow with the table, and 20,000
records took 40 s to record instead of 10. Python lists (the bulk writes' one array per column)
are sent in PostgreSQL's binary array format, which needs no escaping: the text format escaped
each quote of a JSON shadow value with a regular expression, most of a bulk write's time.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from accredo_hubspot.store.errors import StoreError, describe

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Pause between attempts to switch a new SQLite file to WAL mode (see ``_use_wal``).
WAL_SWITCH_RETRY_S = 0.01
_BEGIN_OPTION = "accredo_hubspot_sqlite_begin"


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``, with SQLite's pragmas and transaction handling set up."""
    try:
        parsed = make_url(url)
        engine = create_engine(parsed, future=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {safe_url(url)}: {describe(exc)}") from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        _configure_psycopg(engine)
    return engine


def _configure_psycopg(engine: Engine) -> None:
    from psycopg.types.array import ListBinaryDumper  # psycopg is the user's driver to install

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # See the module docstring. A dumper registered last is the one ``%s`` uses.
        dbapi_connection.prepare_threshold = None
        dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database in WAL mode (a setting kept in the file, so only its first opener
    changes it). While another connection is switching the same new file, SQLite refuses the
    switch at once with "database is locked", without waiting the busy timeout: four processes
    opening a new store together were refused that way. The switch is tried again, within the
    busy timeout, until the file is in WAL mode."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorname != "SQLITE_BUSY" or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_RETRY_S)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: committed on success, rolled back on any exception."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads (one consistent snapshot)."""
    with engine.connect() as conn, conn.begin():
        yield conn
