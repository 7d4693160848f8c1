"""One million distinct incidents: the worker's peak memory, and a replay's time.

    .venv/bin/python -m bench.million --events 1000000 --store memory --workers 2

Produces N distinct incidents (generated as they are sent, never all held), runs `--workers`
`wijkwacht worker` processes (the input's 6 partitions shared among them) and one `wijkwacht
materialise` until the workers' committed offsets reach the end (time, CPU) and until the store
holds every incident (how long after the workers), peak RSS (of the largest worker); stops
them, runs `wijkwacht replay`, and runs them again likewise: the replay's times, and whether the
stored totals came out identical.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    bench_settings,
    cpu_seconds,
    distinct_incidents,
    local_broker,
    peak_rss_mib,
    produce,
    start_materialiser,
    start_worker,
)
from bench.worker_throughput import committed
from service.bootstrap import Wiring
from service.kafka.topics import Topics
from service.settings import Settings
from storage.engine import make_engine
from storage.repository import SqlTotalsRepository
from tests.support import Process, settings_env


def until_through(settings: Settings, events: int) -> None:
    group = Topics(settings.namespace).worker_group
    while True:
        with contextlib.suppress(Exception):  # the group coordinator may still be settling
            if asyncio.run(committed(settings, group)) >= events:
                return
        time.sleep(0.5)


def until_stored(settings: Settings, events: int, deadline: float = 900) -> None:
    """Until the store holds every incident: the materialiser runs behind the worker."""
    started = time.monotonic()
    while sum(v[0] for v in stored(settings).values()) < events:
        if time.monotonic() - started > deadline:
            raise SystemExit(f"the store did not reach {events} incidents in {deadline}s")
        time.sleep(1)


def stored(settings: Settings) -> dict[tuple[str | None, ...], tuple[int, int, int]]:
    repository = SqlTotalsRepository(make_engine(settings.store_url))
    return {
        (r.kind, r.category, r.wijk): (r.count, r.amount_cents, r.illegal_fireworks_cents)
        for r in repository.totals(year=2022)
    }


def start_workers(settings: Settings, count: int, log: Path) -> list[Process]:
    return [start_worker(settings, log.with_suffix(f".{n}.log")) for n in range(count)]


def run(events: int, store: str, workers: int) -> dict[str, object]:
    with local_broker() as (broker, data):
        settings = bench_settings(broker, data, "million", worker_store=store)
        asyncio.run(Wiring(settings).ensure_topics())
        produce_seconds = produce(settings, distinct_incidents(events))
        materialiser = start_materialiser(settings, data / "materialiser-1.log")
        running = start_workers(settings, workers, data / "worker-1.log")
        try:
            started = time.perf_counter()
            cpu_started = sum(cpu_seconds(w.pid) for w in running)
            until_through(settings, events)
            first = time.perf_counter() - started
            cpu = sum(cpu_seconds(w.pid) for w in running) - cpu_started
            until_stored(settings, events)
            first_stored = time.perf_counter() - started
            rss = max(peak_rss_mib(w.pid) for w in running)
        finally:
            for worker in running:
                worker.stop(timeout=120)
            materialiser.stop(timeout=60)
        before = stored(settings)

        replay_started = time.perf_counter()
        env = settings_env(settings)
        wijkwacht = str(Path(sys.executable).parent / "wijkwacht")
        subprocess.run([wijkwacht, "replay"], env={**env}, check=True, capture_output=True)
        materialiser = start_materialiser(settings, data / "materialiser-2.log")
        running = start_workers(settings, workers, data / "worker-2.log")
        try:
            until_through(settings, events)
            replay = time.perf_counter() - replay_started
            until_stored(settings, events)
            replay_stored = time.perf_counter() - replay_started
        finally:
            for worker in running:
                worker.stop(timeout=120)
            materialiser.stop(timeout=60)
        after = stored(settings)
    return {
        "events": events,
        "store": store,
        "workers": workers,
        "produce_events_per_s": round(events / produce_seconds),
        "worker_seconds": round(first, 1),
        "worker_events_per_s": round(events / first),
        "worker_cpu_s": round(cpu, 1),
        "store_complete_seconds": round(first_stored, 1),
        # issue 14's target: every incident stored within 30 s of the worker's finishing
        "store_after_worker_seconds": round(first_stored - first, 1),
        "worker_peak_rss_mib": round(rss),
        "replay_seconds": round(replay, 1),
        "replay_store_complete_seconds": round(replay_stored, 1),
        "replay_store_after_worker_seconds": round(replay_stored - replay, 1),
        "totals_identical_after_replay": before == after and bool(before),
        "incidents_in_totals": sum(v[0] for v in before.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", choices=["memory", "rocksdb"], default="memory")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.events, args.store, args.workers), indent=2))


if __name__ == "__main__":
    main()
