"""The rows the store's repository takes and gives: plain values, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.errors import StorageError


@dataclass(frozen=True, slots=True)
class YearCell:
    """One input partition's absolute yearly aggregate, stamped with its input offset."""

    partition: int
    kind: str
    category: str
    wijk: str
    year: int
    count: int
    amount_cents: int
    illegal_fireworks_cents: int
    source_offset: int
    housing: str = ""  # a woonoverlast case's housing type; empty for incidents


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """An incident as the processors last counted it, stamped with its input offset."""

    source: str
    subject: str
    partition: int
    kind: str | None
    category: str | None
    wijk: str | None
    year: int | None
    revision: int
    event_id: str
    amount_cents: int
    illegal_fireworks_cents: int
    withdrawn: bool
    source_offset: int


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A woonoverlast case as the processors last kept it: its state as the changelog holds it
    (JSON of codes, moments and ids; no personal data), stamped with its input offset."""

    source: str
    subject: str
    partition: int
    state: str
    source_offset: int


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A changelog record whose row the store refused for what it holds, and why."""

    topic: str
    partition: int
    offset: int
    key: str  # the record's key as text, control characters escaped
    reason: str  # the exception's type and the first line of its message
    at: datetime


@dataclass(frozen=True, slots=True)
class Closing:
    """When a year was closed and by whom."""

    year: int
    closed_at: datetime
    closed_by: str
    # When its incident rows were purged (`wijkwacht purge`); its totals stay.
    incidents_purged_at: datetime | None = None


class YearClosed(StorageError):
    """The year is closed already."""


@dataclass(frozen=True, slots=True)
class TotalRow:
    """A yearly total; a dimension not grouped by is None."""

    kind: str | None
    category: str | None
    wijk: str | None
    count: int
    amount_cents: int
    illegal_fireworks_cents: int
    housing: str | None = None  # grouped by only when asked for (cases)


class NotClosed(StorageError):
    """Incident rows of a year that is not closed may not be purged."""
