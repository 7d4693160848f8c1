"""Fixtures of the integration tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings
from tests.integration.kafka_util import ensure
from tests.support import Process, settings_env


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[Process]:
    """A `wijkwacht worker` process on this test's topics, and a materialiser into its
    store; both must stop cleanly."""
    ensure(settings)
    env = settings_env(settings)
    process = Process(["worker"], env, tmp_path / "worker.log")
    materialiser = Process(["materialise"], env, tmp_path / "materialiser.log")
    yield process
    assert process.stop() == 0, process.output()[-3000:]
    assert materialiser.stop() == 0, materialiser.output()[-3000:]
