"""Whatever the edge accepts at the extremes of its limits, the worker processes, the changelog
encodes and decodes, and the materialiser maps to rows the store's columns hold (the store
itself: tests/integration/test_edge_store.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.kinds import CAMERA, DAMAGE, ENFORCEMENT
from tests import factories
from tests.pipeline import Rows, materialised
from tests.strategies import REGISTRIES, edge_histories
from tests.unit.fakes import postgresql_refusal

PARTITIONS = st.sampled_from([0, 999])  # topic_partitions is at most 1,000
OFFSETS = st.sampled_from([0, 2**31, 2**62]) | st.integers(0, 2**62)


def assert_the_store_holds(rows: Rows) -> None:
    for row in (*rows.cells, *rows.incidents):
        assert postgresql_refusal(row) is None, (postgresql_refusal(row), row)


@settings(
    max_examples=2000,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(edge_histories(), PARTITIONS, OFFSETS)
def test_events_at_the_edge_pass_the_worker_the_changelog_and_fit_the_store(
    history: list[dict[str, Any]], partition: int, first_offset: int
) -> None:
    rows = materialised(history, partition, first_offset)
    assert rows.incidents, "every accepted event writes its incident"
    assert_the_store_holds(rows)


def every_registry_code() -> list[dict[str, Any]]:
    """One event per registry code and field it may appear in."""
    events = []
    for kind, make in ((ENFORCEMENT, factories.report), (DAMAGE, factories.damage)):
        events += [
            make(f"C-{kind}-{c}", category=c) for c in sorted(REGISTRIES.category_codes(kind))
        ]
        events += [make(f"W-{kind}-{w}", wijk=w) for w in sorted(REGISTRIES.wijk_codes())]
    events += [factories.report(f"T-{t}", team=t) for t in sorted(REGISTRIES.team_codes())]
    for category in sorted(REGISTRIES.category_codes(CAMERA)):
        events.append(factories.camera_incident(f"C-{category}", category=category))
    for camera in REGISTRIES.cameras:
        moment = f"{camera.active_from.isoformat()}T12:00:00+01:00"
        events.append(
            factories.camera_incident(
                f"K-{camera.id}", camera=camera.id, wijk=camera.wijk, occurred_at=moment
            )
        )
    return events


@pytest.mark.parametrize("partition", [0, 999])
def test_every_registry_code_passes_the_worker_and_fits_the_store(partition: int) -> None:
    events = every_registry_code()
    rows = materialised(events, partition, 2**62)
    assert len(rows.incidents) == len(events)
    counted = {(r.category, r.wijk) for r in rows.incidents}
    assert {c for c, _ in counted} >= set().union(
        *(REGISTRIES.category_codes(k) for k in (ENFORCEMENT, CAMERA, DAMAGE))
    )
    assert {w for _, w in counted} == REGISTRIES.wijk_codes()
    assert_the_store_holds(rows)
