"""Columns sized by the edge's limits (events/limits.py): a revision up to 2^53, ids of 128.

Revision 0002 made `incident.revision` a 32-bit integer while events may carry revisions up to
2^53: such an incident could not be stored, and on PostgreSQL the materialiser retried it for
ever. `incident.event_id` held 255 characters for ids the edge limits to 128.

The sizes are written out here, not imported: a migration records what the schema was at this
step, and a later change of a limit needs a migration of its own
(tests/integration/test_store.py checks that the migrated schema matches the models).

Batch mode: SQLite cannot alter a column's type in place; Alembic copies the table. On
PostgreSQL it is a plain ALTER COLUMN … TYPE, which rewrites the table once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.alter_column(
            "revision", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
        )
        # Every stored id has at most 128 characters: the edge has refused longer ones from the
        # start, and PostgreSQL's varchar counts characters as that limit does.
        batch.alter_column(
            "event_id",
            type_=sa.String(length=128),
            existing_type=sa.String(length=255),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.alter_column(
            "event_id",
            type_=sa.String(length=255),
            existing_type=sa.String(length=128),
            existing_nullable=False,
        )
        batch.alter_column(
            "revision", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
        )
