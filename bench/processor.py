"""CPU cost of the worker's batch processor per event, without Kafka or faust.

    PYTHONPATH=. .venv/bin/python -m bench.processor --events 50000 --sealed both

Builds binary-mode records as the producers write them: mostly new incidents of all three
kinds, with some higher revisions, withdrawals and retries (the same record again). Runs
`BatchProcessor` over them in batches, as the worker's batch path hands them over, against
an in-memory state table that receives each batch's writes, with the garbage collector set as
the worker sets it. Prints µs/event and events/s of the best of `--repeat` runs (a fresh state
each run), in CPU time of this process: the benchmark machines are shared, and wall time would
count the time other work holds the core. `--sealed` says whether the records carry the API's
seal (the worker's fast path) or not (a field system producing to Kafka itself: validated in
full).
"""

from __future__ import annotations

import argparse
import random
import time
import zlib
from collections.abc import Iterator

from bench.common import BENCH_SEAL, REGISTRIES, Record, distinct_incidents
from events.binding import to_kafka
from events.models import parse_event
from events.seal import Seal
from service.stream.processing import BatchProcessor
from service.stream.processing import Record as InputRecord
from service.stream.worker import collect_seldom
from tests import factories


class MemoryState:
    """The state table: one dict of key to value per partition."""

    def __init__(self) -> None:
        self.partitions: dict[int, dict[bytes, bytes]] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.partitions.get(partition, {}).get(key)

    def write(self, partition: int, key: bytes, value: bytes) -> None:
        self.partitions.setdefault(partition, {})[key] = value


def follow_ups(count: int, seed: int) -> Iterator[Record]:
    """Events about incidents `distinct_incidents` started: camera incidents, higher revisions
    and withdrawals of its reports."""
    rnd = random.Random(seed)
    categories = sorted(REGISTRIES.category_codes("cameraincident"))
    wijken = sorted(REGISTRIES.wijk_codes())
    for n in range(count):
        subject = f"HH-{10 * rnd.randrange(count) + rnd.randrange(9)}"  # a report, never damage
        choice = n % 4
        if choice == 0:
            raw = factories.camera_incident(f"CAM-{n}", category=rnd.choice(categories))
        elif choice == 3:
            raw = factories.withdrawal(subject, revision=3)
        else:
            raw = factories.report(subject, revision=2, wijk=rnd.choice(wijken))
        raw["id"] = f"bench-follow-up-{seed}-{n}"
        yield to_kafka(parse_event(raw, REGISTRIES))


def build_records(
    events: int, partitions: int, seed: int = 1, seal: Seal | None = None
) -> list[InputRecord]:
    """`events` records with offsets per partition; 80% new incidents, the rest follow-ups
    and retries, follow-ups after what they follow."""
    new = list(distinct_incidents(events * 8 // 10, seed=seed, seal=None))
    later = list(follow_ups(events // 10, seed=seed))
    rnd = random.Random(seed)
    mixed = new + later
    retries = rnd.sample(mixed, k=events - len(mixed))
    mixed += retries
    records = []
    next_offset: dict[tuple[str, int], int] = {}
    for key, value, headers in mixed:
        partition = zlib.crc32(key) % partitions
        lane = dict(headers)["ce_source"].decode().rsplit(":systeem:", 1)[1]
        offset = next_offset.get((lane, partition), 0)
        if seal is not None:
            headers = [*headers, seal.header(headers, value)]
        records.append(InputRecord(key, value, headers, partition, offset, lane))
        next_offset[(lane, partition)] = offset + 1
    return records


def run_once(
    records: list[InputRecord], batch_size: int, seal: Seal | None
) -> tuple[float, dict[str, int]]:
    state = MemoryState()
    processor = BatchProcessor(REGISTRIES, state, seal)
    outcomes: dict[str, int] = {}
    started = time.process_time()
    for start in range(0, len(records), batch_size):
        result = processor.process(records[start : start + batch_size])
        for partition, key, value in result.writes:
            state.write(partition, key, value)
        for name, n in result.outcomes.items():
            outcomes[name] = outcomes.get(name, 0) + n
    return time.process_time() - started, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sealed", choices=("yes", "no", "both"), default="both")
    args = parser.parse_args()
    collect_seldom()  # as the worker does
    for sealed in ("yes", "no") if args.sealed == "both" else (args.sealed,):
        seal = BENCH_SEAL if sealed == "yes" else None
        records = build_records(args.events, args.partitions, seal=seal)
        best, outcomes = min(
            (run_once(records, args.batch, seal) for _ in range(args.repeat)),
            key=lambda run: run[0],
        )
        per_event = best / len(records) * 1e6
        path = "sealed (fast path)" if seal else "not sealed (validated in full)"
        print(f"{path}: {len(records)} events in batches of {args.batch}, {dict(outcomes)}")
        print(f"  processor: {per_event:.1f} µs/event, {len(records) / best:,.0f} events/s (best)")


if __name__ == "__main__":
    main()
