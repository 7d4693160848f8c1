"""Tables of the store (sqlmodel). Money is integer cents, never a float.

Columns that hold what an event carries take their size from events/limits.py, the edge's
limits: what the API and the worker accept, the store can hold. Changing a size there needs a
migration here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Text
from sqlmodel import Field, SQLModel

from events.limits import (
    CODE_MAX_LENGTH,
    ID_MAX_LENGTH,
    KIND_MAX_LENGTH,
    SOURCE_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
)

TOPIC_MAX_LENGTH = 249  # Kafka refuses longer topic names


def _now() -> datetime:
    return datetime.now(UTC)


class AggregateCellBase(SQLModel):
    kind: str = Field(primary_key=True, max_length=KIND_MAX_LENGTH)
    category: str = Field(primary_key=True, max_length=CODE_MAX_LENGTH)
    wijk: str = Field(primary_key=True, max_length=CODE_MAX_LENGTH)
    year: int = Field(primary_key=True)
    # A woonoverlast case's housing type; empty for incidents.
    housing: str = Field(default="", primary_key=True, max_length=CODE_MAX_LENGTH)
    count: int = Field(sa_type=BigInteger)
    amount_cents: int = Field(sa_type=BigInteger)
    illegal_fireworks_cents: int = Field(sa_type=BigInteger)


class AggregateCell(AggregateCellBase, table=True):
    """A yearly aggregate as one input partition's worker last wrote it. Totals are the sum
    over partitions; `source_offset` guards upserts so redelivery never moves a value back."""

    __tablename__ = "aggregate_cell"

    partition: int = Field(primary_key=True)
    source_offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class IncidentRecord(SQLModel, table=True):
    """One incident as counted: its highest revision, where it counts, or that it is
    withdrawn (then kind may be known, the rest is not). No personal data: no descriptions,
    no addresses, only codes and amounts. For drill-down and `wijkwacht reconcile`."""

    __tablename__ = "incident"

    source: str = Field(primary_key=True, max_length=SOURCE_MAX_LENGTH)
    subject: str = Field(primary_key=True, max_length=SUBJECT_MAX_LENGTH)
    partition: int
    kind: str | None = Field(default=None, max_length=KIND_MAX_LENGTH)
    category: str | None = Field(default=None, max_length=CODE_MAX_LENGTH)
    wijk: str | None = Field(default=None, max_length=CODE_MAX_LENGTH)
    year: int | None = Field(default=None, index=True)
    # Up to 2^53 (events/limits.py): more than a 32-bit integer holds.
    revision: int = Field(sa_column=Column(BigInteger, nullable=False))
    event_id: str = Field(max_length=ID_MAX_LENGTH)
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    illegal_fireworks_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    withdrawn: bool
    source_offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ClosedYear(SQLModel, table=True):
    """A year whose totals were published: frozen in `published_total` when it was closed."""

    __tablename__ = "closed_year"

    year: int = Field(primary_key=True)
    closed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_by: str = Field(max_length=128)
    # Set by `wijkwacht purge`: the year's incident rows are gone and are kept out.
    incidents_purged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class PublishedTotal(AggregateCellBase, table=True):
    """The totals of a closed year as they were when it was closed (summed over partitions)."""

    __tablename__ = "published_total"


class CaseRecord(SQLModel, table=True):
    """A woonoverlast case as counted: its zaak and statuses as the processors keep them (JSON
    of codes, moments and ids; no personal data). For `wijkwacht reconcile`."""

    __tablename__ = "woonoverlast_case"

    source: str = Field(primary_key=True, max_length=SOURCE_MAX_LENGTH)
    subject: str = Field(primary_key=True, max_length=SUBJECT_MAX_LENGTH)
    partition: int
    state: str = Field(sa_column=Column(Text, nullable=False))
    source_offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class QuarantineRecord(SQLModel, table=True):
    """A changelog record whose row the store refused for what it holds (too long, out of
    range, a character it cannot store): set aside, so that the materialiser writes the rest of
    its batch and goes on instead of retrying it for ever. One per record: a redelivered record
    is set aside once."""

    __tablename__ = "quarantined_row"

    topic: str = Field(primary_key=True, max_length=TOPIC_MAX_LENGTH)
    partition: int = Field(primary_key=True)
    changelog_offset: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    # The record's key with control characters escaped (service/stream/materialiser.py):
    # readable, storable whatever the key holds, and of any length.
    key: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))  # exception type: first line
    quarantined_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
