"""Several workers on one host, a worker killed with SIGKILL mid-stream, and rebalances: the
totals still equal the reference computed from the accepted events."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository
from tests.integration.kafka_util import ensure, produce_inputs
from tests.reference import expected_totals, stored_totals
from tests.support import Process, settings_env, wait_until
from tests.unit.test_counting import generate

pytestmark = pytest.mark.integration
REGISTRIES = load_registries()


def test_killed_worker_and_rebalances_leave_exact_totals(
    settings: Settings, tmp_path: Path
) -> None:
    ensure(settings)
    events = generate(seed=20230101, incidents=1500)  # revisions, withdrawals, retries
    random.Random(7).shuffle(events)
    records = [to_kafka(parse_event(e, REGISTRIES)) for e in events]
    upgrade(settings.store_url)
    repository = SqlTotalsRepository(make_engine(settings.store_url))
    expected = expected_totals(events)

    def totals() -> dict:
        return stored_totals(repository, {key[3] for key in expected})

    env = settings_env(settings)
    first = Process(["worker"], env, tmp_path / "worker-a.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser.log")
    second: Process | None = None
    third: Process | None = None
    try:
        produce_inputs(settings, records[: len(records) // 2])
        wait_until(lambda: totals() != {}, timeout=60, what="the first worker to count")
        first.kill()  # SIGKILL in the middle of the stream
        second = Process(["worker"], env, tmp_path / "worker-b.log")
        produce_inputs(settings, records[len(records) // 2 :])
        third = Process(["worker"], env, tmp_path / "worker-c.log")  # joins: a rebalance
        wait_until(lambda: totals() == expected, timeout=120, what="exact totals")
        assert second.stop() == 0, second.output()[-3000:]  # leaves: another rebalance
        assert totals() == expected
    finally:
        for process in (first, second, third, materialiser):
            if process is not None:
                process.stop()
    # two workers ran on this host at once, each with a state directory of its own
    assert (settings.data_dir / "worker" / "slot-1").exists()
