"""Provenance: each audit entry says what change it carried (``source``: a delta table and its
``DeltaID``, a webhook event, a reconcile, an operator's action), when that record was read
(``read_at``) and in which call it was written (``call``); a queued record keeps the change
that last queued it (``source``), for its audit entry.

The columns are added, nullable: entries and queued records of earlier releases keep theirs
empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = 255


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("source", sa.String(KEY), nullable=True))
        batch.add_column(sa.Column("read_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("call", sa.String(KEY), nullable=True))
    with op.batch_alter_table("work_queue") as batch:
        batch.add_column(sa.Column("source", sa.String(KEY), nullable=True))
