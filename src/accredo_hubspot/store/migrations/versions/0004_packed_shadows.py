"""Shadow values packed: each record's JSON object zlib-compressed, as the audit's entries are
(the shadows were most of the state: a debtor's ~1 KB of JSON packs to ~0.45 KB).

The JSON text of each row is compressed as it is (its values unchanged), into a new column that
then takes the old one's place; rows are read a page at a time, so the same steps serve SQLite
(batch mode) and PostgreSQL. SQLite reuses the pages the JSON held (``VACUUM`` gives them back
to the file system).
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Rows read and rewritten per step.
PAGE = 1_000

# The shadows table as far as this step reads and writes it.
_shadows = sa.table(
    "shadows",
    sa.column("side", sa.String()),
    sa.column("record_type", sa.String()),
    sa.column("record_key", sa.String()),
    sa.column("shadow", sa.Text()),
    sa.column("packed", sa.LargeBinary()),
)


def upgrade() -> None:
    with op.batch_alter_table("shadows") as batch:
        batch.add_column(sa.Column("packed", sa.LargeBinary, nullable=True))
    bind = op.get_bind()
    c = _shadows.c
    key = (c.side, c.record_type, c.record_key)
    query = sa.select(*key, c.shadow).order_by(*key).limit(PAGE)
    pack = (
        sa.update(_shadows)
        .where(
            c.side == sa.bindparam("k_side"),
            c.record_type == sa.bindparam("k_type"),
            c.record_key == sa.bindparam("k_key"),
        )
        .values(packed=sa.bindparam("k_packed"))
    )
    after: tuple[str, str, str] | None = None
    while True:
        paged = query if after is None else query.where(sa.tuple_(*key) > sa.tuple_(*after))
        page = bind.execute(paged).all()
        if not page:
            break
        bind.execute(
            pack,
            [
                {
                    "k_side": side,
                    "k_type": record_type,
                    "k_key": record_key,
                    "k_packed": zlib.compress(text.encode()),
                }
                for side, record_type, record_key, text in page
            ],
        )
        after = (page[-1][0], page[-1][1], page[-1][2])
    with op.batch_alter_table("shadows") as batch:
        batch.drop_column("shadow")
        batch.alter_column(
            "packed", new_column_name="shadow", existing_type=sa.LargeBinary, nullable=False
        )


def downgrade() -> None:
    raise NotImplementedError("the state store migrates forward only")
