"""Alembic's environment for the state store: always run on a connection the caller gives.

``accredo_hubspot.store.migrations.migrate`` opens the transaction (and, on PostgreSQL, takes
the migration lock) and passes its connection in ``config.attributes["connection"]``; every
revision runs inside that one transaction. SQLite alters tables in batch mode (copy and move).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from accredo_hubspot.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("the state store's migrations run through accredo-hubspot, not alembic")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
