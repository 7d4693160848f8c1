"""Wijkwacht on a local three-broker cluster (replication factor 3, min.insync.replicas 2).

    .venv/bin/python -m bench.cluster --events 60000 --kafka secured

1. Throughput of N = 1, 2, 3 workers: N `wijkwacht worker` processes start on an empty input
   (a namespace of its own per N, 6 partitions) and settle their partitions; then `--events`
   distinct incidents are produced, timed from the first produced to the workers' committed
   offsets reaching the end: events/s, and events per CPU second of the workers together
   (this machine has 2 cores: the figure per CPU second shows the scaling the wall-clock
   figure cannot; the producer and the three brokers share those cores).
2. The unavailability window when the leader of an input partition is SIGKILLed: one field
   system posts a batch of 20 events every 50 ms through the API; the leader is killed, and
   comes back 15 s later. The first refusal (503, or no answer) to the first 202 after it, the
   longest request, and how many were refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from typing import Any

import httpx

from bench.common import (
    bench_settings,
    cpu_seconds,
    distinct_incidents,
    local_broker,
    produce,
    start_worker,
)
from bench.worker_throughput import committed
from service.bootstrap import Wiring
from service.devtools.broker import LocalBroker
from service.kafka.topics import Topics
from tests import factories
from tests.support import Process, free_port, settings_env, wait_until

KEY = "bench-cluster-key-000001"


def throughput(broker: LocalBroker, data: Any, workers: int, events: int) -> dict[str, Any]:
    settings = bench_settings(
        broker, data, f"cluster-{workers}", topic_partitions=6, topic_replication_factor=3
    )
    asyncio.run(Wiring(settings).ensure_topics())
    started_processes = [
        start_worker(settings, data / f"w{workers}-{n}.log") for n in range(workers)
    ]
    group = Topics(settings.namespace).worker_group
    try:
        time.sleep(5)  # the group settles: every worker holds its partitions
        records = list(distinct_incidents(events, seed=workers))
        cpu_before = sum(cpu_seconds(w.pid) for w in started_processes)
        started = time.perf_counter()
        produce(settings, records)
        while asyncio.run(committed(settings, group)) < events:
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_seconds(w.pid) for w in started_processes) - cpu_before
    finally:
        for worker in started_processes:
            worker.stop(timeout=60)
    return {
        "workers": workers,
        "events": events,
        "events_per_s": round(events / elapsed),
        "worker_cpu_s": round(cpu, 1),
        "events_per_cpu_s": round(events / cpu),
    }


def leader_kill(broker: LocalBroker, data: Any) -> dict[str, Any]:
    settings = bench_settings(
        broker,
        data,
        "cluster-kill",
        topic_partitions=6,
        topic_replication_factor=3,
        api_port=free_port(),
        api_keys=f"handhaving-app:{KEY}",
    )
    asyncio.run(Wiring(settings).ensure_topics())
    api = Process(["api"], settings_env(settings), data / "api-kill.log")
    base = f"http://127.0.0.1:{settings.api_port}"
    answers: list[tuple[float, float, int | str]] = []  # started, took, status
    stop = threading.Event()

    def post() -> None:
        n = 0
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                batch = [factories.report(f"KILL-{n}-{i}") for i in range(20)]
                n += 1
                started = time.monotonic()
                try:
                    status: int | str = client.post(
                        f"{base}/v1/events",
                        content=json.dumps(batch),
                        headers={
                            "content-type": "application/cloudevents-batch+json",
                            "authorization": f"Bearer {KEY}",
                        },
                    ).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                answers.append((started, time.monotonic() - started, status))
                time.sleep(0.05)

    try:
        wait_until(lambda: _ready(base), timeout=90, what="the API")
        poster = threading.Thread(target=post, daemon=True)
        poster.start()
        time.sleep(5)
        topic = Topics(settings.namespace).input("handhaving-app")
        node = broker.leader_of(topic)
        killed = time.monotonic()
        broker.kill_node(node)
        time.sleep(15)
        broker.start_node(node)
        broker.wait_ready(timeout=120)
        time.sleep(5)
        stop.set()
        poster.join(60)
    finally:
        api.stop()
    refused = [(t, took) for t, took, status in answers if status != 202]
    after = [t + took for t, took, status in answers if status == 202 and t >= killed]
    first_refusal = min((t for t, _ in refused), default=None)
    back = min((t for t in after if first_refusal is None or t > first_refusal), default=None)
    during = [took for t, took, _ in answers if t >= killed - 1]
    return {
        "requests": len(answers),
        "refused": len(refused),
        "unavailable_s": round(back - first_refusal, 1) if first_refusal and back else 0.0,
        "longest_request_s": round(max(during, default=0.0), 1),
        "statuses": sorted({str(s) for _, _, s in answers}),
    }


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--kafka", choices=["plaintext", "secured"], default="secured")
    args = parser.parse_args()
    with local_broker(args.kafka == "secured", brokers=3) as (broker, data):
        result = {
            "kafka": args.kafka,
            "throughput": [throughput(broker, data, n, args.events) for n in (1, 2, 3)],
            "leader_kill": leader_kill(broker, data),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
