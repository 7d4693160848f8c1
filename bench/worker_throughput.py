"""Worker throughput against the raw aiokafka ceiling, on one real broker, in one run.

    .venv/bin/python -m bench.worker_throughput --events 300000

Produces N distinct incidents to a fresh input topic, then (1) reads them all with a plain
aiokafka consumer that only JSON-decodes the values: the ceiling; (2) runs one
`wijkwacht worker` process over the same records until its committed offsets reach the end.
Prints events/s of both, their ratio, the worker's CPU seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from bench.common import (
    bench_settings,
    client_options,
    cpu_seconds,
    distinct_incidents,
    local_broker,
    peak_rss_mib,
    produce,
    start_worker,
)
from service.bootstrap import Wiring
from service.kafka.topics import Topics
from service.settings import Settings


async def raw_ceiling(settings: Settings, topics: list[str], count: int) -> float:
    consumer = AIOKafkaConsumer(
        *topics,
        **client_options(settings),
        group_id="bench-ceiling",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    seen = 0
    started = None
    try:
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            if started is None and batch:
                started = time.perf_counter()
            for records in batch.values():
                for record in records:
                    orjson.loads(record.value)
                seen += sum(1 for _ in records)
        assert started is not None
        return count / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def committed(settings: Settings, group: str) -> int:
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(meta.offset for meta in offsets.values() if meta.offset > 0)
    finally:
        await admin.close()


def run(events: int, partitions: int, secure: bool) -> dict[str, Any]:
    with local_broker(secure) as (broker, data):
        settings = bench_settings(broker, data, "bench", topic_partitions=partitions)
        layout = asyncio.run(Wiring(settings).ensure_topics())
        records = list(distinct_incidents(events))
        produce_seconds = produce(settings, records)
        ceiling = asyncio.run(raw_ceiling(settings, layout.inputs, events))

        worker = measure_worker(settings, events, data / "worker.log")
    return {
        "kafka": "SASL_SSL (SCRAM-SHA-512), ACLs" if secure else "PLAINTEXT",
        "events": events,
        "partitions": partitions,
        "produce_events_per_s": round(events / produce_seconds),
        "raw_ceiling_events_per_s": round(ceiling),
        "worker_events_per_s": worker["events_per_s"],
        "worker_events_per_cpu_s": worker["events_per_cpu_s"],
        "ratio_to_ceiling": round(worker["events_per_s"] / ceiling, 3),
        "worker_cpu_s": worker["cpu_s"],
        "worker_peak_rss_mib": worker["peak_rss_mib"],
    }


def measure_worker(settings: Settings, events: int, log: Path) -> dict[str, Any]:
    """One `wijkwacht worker` over the input, from ready until its committed offsets reach
    `events`: events/s, events per CPU second, CPU seconds and peak RSS."""
    worker = start_worker(settings, log)
    try:
        started, cpu_started = time.perf_counter(), cpu_seconds(worker.pid)
        group = Topics(settings.namespace).worker_group
        while asyncio.run(committed(settings, group)) < events:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(worker.pid) - cpu_started
        rss = peak_rss_mib(worker.pid)
    finally:
        worker.stop()
    return {
        "events_per_s": round(events / elapsed),
        "events_per_cpu_s": round(events / cpu),
        "cpu_s": round(cpu, 1),
        "peak_rss_mib": round(rss),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument(
        "--kafka",
        choices=["plaintext", "secured", "both"],
        default="plaintext",
        help="the broker PLAINTEXT, secured as `wijkwacht broker` runs it, or both in turn",
    )
    args = parser.parse_args()
    modes = {"plaintext": [False], "secured": [True], "both": [False, True]}[args.kafka]
    print(json.dumps([run(args.events, args.partitions, secure) for secure in modes], indent=2))


if __name__ == "__main__":
    main()
