"""Every process stops within 10 s of SIGTERM, whether its broker answers or was SIGKILLed,
and leaves nothing a restart cannot resume: on the secured broker, and on PLAINTEXT (one of
the few tests that keep the `--insecure` path working)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.devtools.broker import LocalBroker
from service.settings import Settings
from tests import factories
from tests.integration.kafka_util import ensure
from tests.support import READER, Process, private_stack, settings_env, wait_until

pytestmark = pytest.mark.chaos
LIMIT = 10.0
HEADERS = {
    "content-type": "application/cloudevents-batch+json",
    "authorization": "Bearer test-key-handhaving-0001",
}


@pytest.fixture(params=["secured", "plaintext"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LocalBroker, Settings]]:
    settings: Settings = private_stack(tmp_path, "shutdown")
    local = LocalBroker(settings, secure=request.param == "secured")
    local.start()
    try:
        local.wait_ready(timeout=90)
        ensure(settings)
        yield local, settings
    finally:
        local.stop()


def _start(settings: Settings, tmp_path: Path) -> list[Process]:
    env = settings_env(settings)
    processes = [
        Process(["worker"], env, tmp_path / "worker.log"),
        Process(["materialise"], env, tmp_path / "materialiser.log"),
        Process(["api"], env, tmp_path / "api.log"),
    ]
    base = f"http://127.0.0.1:{settings.api_port}"
    wait_until(lambda: _ready(base), timeout=60, what="the API")
    batch = [factories.report(f"SD-{n}") for n in range(200)]
    answer = httpx.post(f"{base}/v1/events", content=json.dumps(batch), headers=HEADERS, timeout=30)
    assert answer.status_code == 202, answer.text
    wait_until(
        lambda: httpx.get(
            f"{base}/v1/live", headers=READER, params={"period": "2022"}, timeout=5
        ).json()["rows"],
        timeout=60,
        what="the worker to count the batch",
    )
    return processes


def _seconds_to_stop(processes: list[Process]) -> dict[str, float]:
    """SIGTERM to every process at once; how long each took to exit (killed after 3×LIMIT)."""
    started = time.monotonic()
    for process in processes:
        process.popen.send_signal(signal.SIGTERM)
    took: dict[str, float] = {}
    while len(took) < len(processes) and time.monotonic() - started < 3 * LIMIT:
        for process in processes:
            if process.args[0] not in took and not process.alive():
                took[process.args[0]] = round(time.monotonic() - started, 1)
        time.sleep(0.05)
    for process in processes:
        if process.alive():
            process.kill()
            took[process.args[0]] = float("inf")
    return took


@pytest.mark.parametrize("broker_state", ["reachable", "sigkilled"])
def test_every_process_stops_within_10_s_of_sigterm(
    stack: tuple[LocalBroker, Settings], tmp_path: Path, broker_state: str
) -> None:
    local, settings = stack
    processes = _start(settings, tmp_path)
    if broker_state == "sigkilled":
        local.kill()
        time.sleep(2)  # let the clients notice
    took = _seconds_to_stop(processes)
    print(f"broker {broker_state}: seconds to stop after SIGTERM {took}")
    assert all(seconds <= LIMIT for seconds in took.values()), took
    if broker_state == "sigkilled":
        local.start()
        local.wait_ready(timeout=90)
    # A restart resumes: the same figures, counted once.
    processes = _start(settings, tmp_path)
    try:
        rows = httpx.get(
            f"http://127.0.0.1:{settings.api_port}/v1/live",
            headers=READER,
            params={"period": "2022"},
            timeout=5,
        ).json()["rows"]
        assert sum(r["count"] for r in rows) == 200
    finally:
        _seconds_to_stop(processes)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_run_stops_everything_it_started_within_10_s(tmp_path: Path) -> None:
    settings: Settings = private_stack(tmp_path, "run")
    run = Process(["run"], settings_env(settings), tmp_path / "run.log")
    base = f"http://127.0.0.1:{settings.api_port}"
    try:
        wait_until(lambda: _ready(base), timeout=120, what="wijkwacht run")
        children = _descendants(run.pid)
        assert len(children) >= 3, children  # broker (and its JVM), worker, API
        took = _seconds_to_stop([run])
        left = [pid for pid in children if Path(f"/proc/{pid}").exists()]
        print(f"run: seconds to stop after SIGTERM {took}, left running {left}")
        assert took["run"] <= LIMIT and left == [], (took, left)
    finally:
        run.kill()


def _descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [found for child in map(int, children) for found in (child, *_descendants(child))]


def test_a_worker_with_local_state_that_starts_while_the_broker_is_away_waits_for_it(
    stack: tuple[LocalBroker, Settings], tmp_path: Path
) -> None:
    """A RocksDB worker checks its local state against the changelog at start; with the
    broker away (restarting) it must wait for it, not exit."""
    local, settings = stack
    settings = settings.model_copy(update={"worker_store": "rocksdb"})
    _seconds_to_stop(_start(settings, tmp_path))  # local state now on disk
    assert list((settings.data_dir / "worker").glob("slot-0/**/state-*.db"))
    local.stop()
    worker = Process(["worker"], settings_env(settings), tmp_path / "worker-later.log")
    try:
        wait_until(
            lambda: "does not answer; retrying" in worker.output() or not worker.alive(),
            timeout=60,
            what="the worker to find the broker away",
        )
        assert worker.alive(), worker.output()[-3000:]
        local.start()
        local.wait_ready(timeout=90)
        wait_until(
            lambda: "Worker ready" in worker.output() or not worker.alive(),
            timeout=90,
            what="the worker to start once the broker is back",
        )
        assert worker.alive(), worker.output()[-3000:]
    finally:
        assert worker.stop() == 0, worker.output()[-3000:]
