"""Tables of the store (sqlmodel). Money is integer cents, never a float."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


class AggregateCellBase(SQLModel):
    kind: str = Field(primary_key=True, max_length=32)
    category: str = Field(primary_key=True, max_length=64)
    wijk: str = Field(primary_key=True, max_length=64)
    year: int = Field(primary_key=True)
    count: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    illegal_fireworks_cents: int = Field(sa_column=Column(BigInteger, nullable=False))


class AggregateCell(AggregateCellBase, table=True):
    """A yearly aggregate as one input partition's worker last wrote it. Totals are the sum
    over partitions; `source_offset` guards upserts so redelivery never moves a value back."""

    __tablename__ = "aggregate_cell"

    partition: int = Field(primary_key=True)
    source_offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
