"""Store write throughput: how many input events per second the materialiser's upserts keep
up with, on SQLite and on a private PostgreSQL server.

    .venv/bin/python -m bench.store_throughput --events 200000

Feeds `SqlTotalsRepository.upsert` what the materialiser gets from the state changelog for
`--events` distinct incidents: one incident row each, plus the yearly cells the worker
rewrites once per batch, in batches of `--batch` changelog records (the materialiser reads up
to 20,000 at once; under load its batches are that large). Compare with the worker's
throughput in bench/RESULTS.md: the store keeps up if its events/s is higher.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import IncidentRow, SqlTotalsRepository, YearCell
from tests.support import PostgresCluster

KINDS = {
    "handhavingsmelding": ["afval", "horeca", "parkeren", "jeugdoverlast"],
    "jaarwisselingsschade": ["verharding", "afvalbakken", "scholen-kinderopvang"],
}
WIJKEN = ["dorp", "rokkeveen", "stadshart", "meerzicht", "seghwaert", "palenstein"]


def changelog_batches(events: int, batch: int, partitions: int = 6) -> list[tuple[list, list]]:
    """(cells, incidents) per materialiser batch for `events` distinct incidents."""
    rnd = random.Random(1)
    batches = []
    offset = 0
    for start in range(0, events, batch):
        incidents, cells = [], {}
        for n in range(start, min(start + batch, events)):
            kind = "jaarwisselingsschade" if n % 10 == 9 else "handhavingsmelding"
            category, wijk = rnd.choice(KINDS[kind]), rnd.choice(WIJKEN)
            partition, offset = n % partitions, offset + 1
            amount = rnd.randint(100, 500_000) if kind == "jaarwisselingsschade" else 0
            incidents.append(
                IncidentRow(
                    "urn:nld:gemeente-zoetermeer:systeem:bench",
                    f"S-{n}",
                    partition,
                    kind,
                    category,
                    wijk,
                    2022,
                    1,
                    f"id-{n}",
                    amount,
                    amount // 3,
                    False,
                    offset,
                )
            )
            key = (partition, kind, category, wijk)
            count = cells[key].count + 1 if key in cells else 1 + n // partitions
            cells[key] = YearCell(partition, kind, category, wijk, 2022, count, 0, 0, offset)
        batches.append((list(cells.values()), incidents))
    return batches


def measure(url: str, events: int, batch: int) -> dict[str, float]:
    upgrade(url)
    repository = SqlTotalsRepository(make_engine(url))
    batches = changelog_batches(events, batch)
    started = time.perf_counter()
    for cells, incidents in batches:
        repository.upsert(cells, incidents)
    seconds = time.perf_counter() - started
    rows = sum(len(c) + len(i) for c, i in batches)
    return {
        "events": events,
        "rows_upserted": rows,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="wijkwacht-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'store.sqlite3'}"
        results["sqlite"] = measure(url, args.events, args.batch)
    cluster = PostgresCluster()
    cluster.start()
    try:
        results["postgresql"] = measure(cluster.create_database("bench"), args.events, args.batch)
        results["postgresql"]["server"] = cluster.version()  # type: ignore[assignment]
    finally:
        cluster.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
