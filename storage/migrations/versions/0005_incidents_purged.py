"""When a closed year's incident rows were purged (`wijkwacht purge`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("closed_year") as table:  # SQLite alters by copying the table
        table.add_column(sa.Column("incidents_purged_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("closed_year") as table:
        table.drop_column("incidents_purged_at")
