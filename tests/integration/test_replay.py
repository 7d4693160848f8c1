"""Replay from offset 0 rebuilds the same aggregates, in the live view and in the store."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.cli import app
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
Totals = dict[tuple[str, ...], tuple[int, int, int]]


def given_input(
    settings: Settings, seed: int, incidents: int
) -> tuple[Totals, Callable[[], Totals]]:
    """Generated events (shuffled) on the input topic: the totals they must give, and a
    reader of the store's totals."""
    ensure(settings)
    events = generate(seed=seed, incidents=incidents)
    random.Random(seed).shuffle(events)
    produce_inputs(settings, [to_kafka(parse_event(e, REGISTRIES)) for e in events])
    upgrade(settings.store_url)
    repository = SqlTotalsRepository(make_engine(settings.store_url))
    expected = expected_totals(events)
    return expected, lambda: stored_totals(repository, {key[3] for key in expected})


def test_replay_rebuilds_identical_totals(
    settings: Settings, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On both stores: the replay empties the store and rebuilds the very same totals."""
    settings = settings.model_copy(update={"database_url": database_url})
    expected, totals = given_input(settings, seed=4711, incidents=120)

    env = settings_env(settings)
    worker = Process(["worker"], env, tmp_path / "worker-1.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser-1.log")
    try:
        wait_until(lambda: totals() == expected, timeout=90, what="the first pass")
        refused = CliRunner().invoke(app, ["replay"], env=env)
        assert (
            refused.exit_code == 1 and "stop every worker and materialiser first" in refused.output
        )
    finally:
        assert worker.stop() == 0
        assert materialiser.stop() == 0

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["replay"])
    assert result.exit_code == 0, result.output
    assert totals() == {}  # the store's aggregates are derived data: emptied

    worker = Process(["worker"], env, tmp_path / "worker-2.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser-2.log")
    try:
        wait_until(lambda: totals() == expected, timeout=90, what="the replay")
    finally:
        assert worker.stop() == 0
        assert materialiser.stop() == 0


def test_worker_state_from_before_a_replay_it_did_not_see_is_rebuilt(
    settings: Settings, tmp_path: Path
) -> None:
    """A RocksDB worker on another host keeps its local state while the replay (run here)
    recreates the changelog; at its next start that state no longer matches the changelog
    and must be rebuilt from it, not trusted."""
    settings = settings.model_copy(update={"worker_store": "rocksdb"})
    expected, totals = given_input(settings, seed=815, incidents=80)

    env = settings_env(settings)
    worker = Process(["worker"], env, tmp_path / "worker-1.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser-1.log")
    try:
        wait_until(lambda: totals() == expected, timeout=90, what="the first pass")
    finally:
        assert worker.stop() == 0
        assert materialiser.stop() == 0
    elsewhere = {**env, "WIJKWACHT_DATA_DIR": str(tmp_path / "replaying-host")}
    result = CliRunner().invoke(app, ["replay"], env=elsewhere)
    assert result.exit_code == 0, result.output
    assert list((settings.data_dir / "worker").glob("slot-0/**/state-*.db"))  # still there

    worker = Process(["worker"], env, tmp_path / "worker-2.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser-2.log")
    try:
        wait_until(lambda: totals() == expected, timeout=90, what="the replay")
    finally:
        assert worker.stop() == 0, worker.output()[-3000:]
        assert materialiser.stop() == 0
    assert "rebuilding it from the changelog" in worker.output()
