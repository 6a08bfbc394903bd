"""Schema migrations, applied in order when the store opens.

``schema_version`` holds one row with the number of steps applied. A step is a function of a
connection inside the migration transaction; append new steps, never edit an applied one (once a
later step changes a table, step 1 must keep its own frozen copy of the tables it created).
Both SQLite and PostgreSQL run DDL inside transactions, so a step is applied whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from accredo_hubspot.store import schema
from accredo_hubspot.store.engine import write_transaction
from accredo_hubspot.store.errors import SchemaTooNewError, StoreError, describe

MigrationStep = Callable[[Connection], None]

# Any constant: serialises concurrent openers of one PostgreSQL database.
_PG_MIGRATION_LOCK_KEY = 0x4143_4853  # "ACHS"


def _v1_initial(conn: Connection) -> None:
    """Links, shadows, cursors, work queue, meta, dead letters and the audit log."""
    schema.metadata.create_all(
        conn,
        tables=[
            schema.links,
            schema.shadows,
            schema.cursors,
            schema.work_queue,
            schema.meta,
            schema.dead_letters,
            schema.audit_log,
        ],
    )


MIGRATIONS: tuple[MigrationStep, ...] = (_v1_initial,)
LATEST_VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """Steps applied so far (0 for an empty database)."""
    if not conn.dialect.has_table(conn, schema.schema_version.name):
        return 0
    version = conn.execute(select(schema.schema_version.c.version)).scalar_one_or_none()
    return 0 if version is None else int(version)


def migrate(engine: Engine, migrations: tuple[MigrationStep, ...] = MIGRATIONS) -> int:
    """Bring the schema up to date; return the version now in place. Safe to call again."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY}
            )
        schema.schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
        if version > len(migrations):
            raise SchemaTooNewError(
                f"the state store's schema is at version {version}, newer than this release "
                f"knows (version {len(migrations)}): upgrade accredo-hubspot or point "
                "ACCREDO_HUBSPOT_DATABASE_URL at another database"
            )
        for number, step in enumerate(migrations[version:], start=version + 1):
            try:
                step(conn)
            except SQLAlchemyError as exc:  # the transaction rolls back: the step is not applied
                raise StoreError(
                    f"schema migration step {number} ({step.__name__}) failed: {describe(exc)}"
                ) from exc
        if len(migrations) != version:
            _write_version(conn, version, len(migrations))
        return len(migrations)


def _write_version(conn: Connection, old: int, new: int) -> None:
    table = schema.schema_version
    if old == 0:
        conn.execute(table.delete())
        conn.execute(table.insert().values(id=1, version=new))
    else:
        conn.execute(table.update().where(table.c.id == 1).values(version=new))
