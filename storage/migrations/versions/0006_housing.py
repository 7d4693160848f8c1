"""A woonoverlast case's housing type as a dimension of the yearly totals.

Case cells count per wijk, category *and* housing type (corporatie, koop, particuliere-huur):
`aggregate_cell` and `published_total` get a `housing` column, empty for incidents, and it
joins their primary keys so that two cells differing only in housing type are two rows.

PostgreSQL adds the column and swaps the primary key in place; SQLite cannot alter a primary
key, so Alembic's batch mode copies the table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = {
    "aggregate_cell": ["partition", "kind", "category", "wijk", "year"],
    "published_total": ["kind", "category", "wijk", "year"],
}


def upgrade() -> None:
    for table, key in KEYS.items():
        _primary_key(table, [*key, "housing"], add=True)


def downgrade() -> None:
    for table, key in KEYS.items():
        _primary_key(table, key, add=False)


def _primary_key(table: str, key: list[str], *, add: bool) -> None:
    housing = sa.Column("housing", sa.String(length=64), nullable=False, server_default="")
    if op.get_bind().dialect.name == "postgresql":
        if add:
            op.add_column(table, housing)
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        if not add:  # rows differing only in housing type would collide: none may be left
            op.execute(sa.text(f"DELETE FROM {table} WHERE housing <> ''"))
            op.drop_column(table, "housing")
        op.create_primary_key(f"{table}_pkey", table, key)
        return
    # The copy's columns are reflected with the old primary key; SQLAlchemy warns that the new
    # one replaces it, which is what this step is for.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table .* specifies columns", sa.exc.SAWarning)
        with op.batch_alter_table(table, recreate="always") as batch:
            if add:
                batch.add_column(housing)
            else:
                batch.drop_column("housing")
            batch.create_primary_key(f"{table}_pkey", key)
