"""The real store, on SQLite and on PostgreSQL, holds every row of events at the extremes of
what the edge accepts, and gives them back unchanged."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import IncidentRecord
from storage.repository import SqlTotalsRepository
from tests.pipeline import materialised
from tests.strategies import edge_histories

pytestmark = pytest.mark.integration


def test_the_store_holds_every_row_of_events_at_the_edge(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    repository = SqlTotalsRepository(engine)
    table = IncidentRecord.__table__  # type: ignore[attr-defined]
    # Offsets grow from one example to the next, so that each example's rows are the newest
    # and an incident drawn twice reads back as this example wrote it.
    offsets = itertools.count(2**62, 1000)

    @settings(
        max_examples=400,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(edge_histories(), min_size=1, max_size=4), st.sampled_from([0, 999]))
    def holds(histories: list[list[dict[str, Any]]], partition: int) -> None:
        events = [event for history in histories for event in history]
        rows = materialised(events, partition, next(offsets))
        repository.upsert(rows.cells, rows.incidents)  # in one go; raises if refused
        newest = {(r.source, r.subject): r for r in rows.incidents}
        with engine.connect() as connection:
            for (source, subject), row in newest.items():
                stored = connection.execute(
                    select(table).where(table.c.source == source, table.c.subject == subject)
                ).one()
                assert (stored.event_id, stored.revision, stored.partition) == (
                    row.event_id,
                    row.revision,
                    row.partition,
                )
                assert (stored.year, stored.amount_cents, stored.withdrawn) == (
                    row.year,
                    row.amount_cents,
                    row.withdrawn,
                )

    try:
        holds()
    finally:
        engine.dispose()
