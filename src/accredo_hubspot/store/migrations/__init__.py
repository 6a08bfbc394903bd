"""Schema migrations with Alembic, applied when the store opens and by ``accredo-hubspot migrate``.

The revision scripts ship inside the package (``versions/``). An empty database is created at
the newest revision directly. Otherwise ``migrate`` runs every revision the database lacks,
one after another, in one transaction: a failing revision leaves the
database as it was and the error names it. On PostgreSQL an advisory lock serialises processes
opening one database at the same moment. A database made by the release before Alembic (a
``schema_version`` table at 1, no ``alembic_version``) is recognised as revision ``0001``.
Append revisions, never edit an applied one.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from accredo_hubspot.store import schema
from accredo_hubspot.store.engine import write_transaction
from accredo_hubspot.store.errors import SchemaTooNewError, StoreError, describe

#: Where the revision scripts live (inside the installed package).
SCRIPTS = str(Path(__file__).parent)
#: The revision a database of the release before Alembic is at.
V1_REVISION = "0001"
#: ``schema_version`` of a database past ``V1_REVISION``: the release before Alembic refuses it.
PAST_V1_VERSION = 2

# Alembic says "Context impl SQLiteImpl" and the like at INFO on every open: not news to an
# operator. Its warnings and errors still show.
logging.getLogger("alembic").setLevel(logging.WARNING)

# Any constant: serialises concurrent openers of one PostgreSQL database.
_PG_MIGRATION_LOCK_KEY = 0x4143_4853  # "ACHS"


def _config(script_location: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    return config


@functools.lru_cache(maxsize=8)
def _scripts(script_location: str) -> ScriptDirectory:
    """The revision scripts, read once per process (loading them is most of a re-open)."""
    return ScriptDirectory.from_config(_config(script_location))


def head_revision(script_location: str = SCRIPTS) -> str:
    """The newest revision this release knows."""
    head = _scripts(script_location).get_current_head()
    if head is None:
        raise StoreError(f"no schema revisions found in {script_location}")
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision in place (None for an empty database), recognising a v1 database."""
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is not None:
        return revision
    if not conn.dialect.has_table(conn, schema.schema_version.name):
        return None
    version = conn.execute(select(schema.schema_version.c.version)).scalar_one_or_none()
    if version is None:
        return None
    if int(version) == 1:
        return V1_REVISION
    return f"schema_version {version}"


def migrate(engine: Engine, script_location: str = SCRIPTS, *, target: str | None = None) -> str:
    """Bring the schema up to date (or to revision ``target``, through every revision before
    it: tests use it to make an old database); return the revision now in place. Safe to call
    again."""
    config = _config(script_location)
    scripts = _scripts(script_location)
    head = target or head_revision(script_location)
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY}
            )
        current = current_revision(conn)
        if current == head:
            return head
        if current is None and target is None:
            _create_at_head(conn, scripts, head)
            return head
        try:
            steps = list(reversed(list(scripts.iterate_revisions(head, current))))
        except (CommandError, RevisionError) as exc:  # a revision this release never heard of
            raise SchemaTooNewError(
                f"the state store's schema is at revision {current}, newer than this release "
                f"knows (revision {head}): upgrade accredo-hubspot or point "
                "ACCREDO_HUBSPOT_DATABASE_URL at another database"
            ) from exc
        if current is not None and MigrationContext.configure(conn).get_current_revision() is None:
            MigrationContext.configure(conn).stamp(scripts, current)  # the v1 database
        config.attributes["connection"] = conn
        for step in steps:
            try:
                command.upgrade(config, step.revision)
            except SQLAlchemyError as exc:  # the transaction rolls back: nothing is applied
                raise StoreError(
                    f"schema migration to revision {step.revision} ({step.doc}) failed: "
                    f"{describe(exc)}"
                ) from exc
        return head


def _create_at_head(conn: Connection, scripts: ScriptDirectory, head: str) -> None:
    """An empty database gets the head schema in one step (Alembic's "create and stamp"); the
    revisions take an existing database to the same tables (a test compares the two)."""
    schema.metadata.create_all(conn, checkfirst=False)  # empty: a stray table is an error
    conn.execute(schema.schema_version.insert().values(id=1, version=PAST_V1_VERSION))
    MigrationContext.configure(conn).stamp(scripts, head)
