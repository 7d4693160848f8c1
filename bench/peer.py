"""Wijkwacht's worker beside Quix Streams, on one broker and one input, in one run.

    make bench-peer   # once: Quix Streams in a virtual environment of its own
    .venv/bin/python -m bench.peer --events 100000

Produces N distinct incidents (all three kinds, one input topic per field system, as the API
writes them), then measures over the same records: the raw aiokafka ceiling; one `wijkwacht
worker`; and the same counting job in Quix Streams (bench/peer_quix.py), at-least-once and
exactly-once, each in a consumer group of its own from the first offset. Prints events/s,
CPU seconds and events per CPU second of each, and the worker's lead over the better peer in
events per CPU second. The peer's totals are checked: its year cells must count every incident.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import bench_settings, distinct_incidents, local_broker, produce
from bench.worker_throughput import measure_worker, raw_ceiling
from service.bootstrap import Wiring

ROOT = Path(__file__).resolve().parent.parent
PEER_PYTHON = ROOT / ".cache" / "bench" / "peer-venv" / "bin" / "python"
GUARANTEES = ("at-least-once", "exactly-once")


def run_peer(bootstrap: str, topics: list[str], events: int, guarantee: str, state: Path) -> Any:
    """The Quix Streams application over the input, until it has summed every delta."""
    command = [str(PEER_PYTHON), str(ROOT / "bench" / "peer_quix.py"), "--bootstrap", bootstrap]
    command += ["--topics", ",".join(topics), "--events", str(events)]
    command += ["--guarantee", guarantee, "--state-dir", str(state)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the Quix Streams peer failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1])
    if result["counted"] != events:
        raise SystemExit(f"the peer counted {result['counted']} incidents, not {events}")
    return result


def run(events: int, partitions: int) -> dict[str, Any]:
    if not PEER_PYTHON.exists():
        raise SystemExit("the peer is not installed: run `make bench-peer` first")
    with local_broker() as (broker, data):
        settings = bench_settings(broker, data, "peer", topic_partitions=partitions)
        layout = asyncio.run(Wiring(settings).ensure_topics())
        produce(settings, distinct_incidents(events))
        ceiling = asyncio.run(raw_ceiling(settings, layout.inputs, events))
        rows: dict[str, dict[str, Any]] = {
            "raw aiokafka consumer + orjson (ceiling)": {"events_per_s": round(ceiling)}
        }
        rows["wijkwacht worker"] = measure_worker(settings, events, data / "worker.log")
        for guarantee in GUARANTEES:
            peer = run_peer(broker.bootstrap, layout.inputs, events, guarantee, data / guarantee)
            rows[f"Quix Streams 3.28, {guarantee}"] = {
                "events_per_s": round(events / peer["seconds"]),
                "events_per_cpu_s": round(events / peer["cpu_seconds"]),
                "cpu_s": round(peer["cpu_seconds"], 1),
            }
    best_peer = max(rows[f"Quix Streams 3.28, {g}"]["events_per_cpu_s"] for g in GUARANTEES)
    worker = rows["wijkwacht worker"]
    return {
        "events": events,
        "partitions": partitions,
        "input_topics": len(layout.inputs),
        "rows": rows,
        "worker_share_of_ceiling": round(worker["events_per_s"] / ceiling, 3),
        "worker_lead_per_cpu_s": round(worker["events_per_cpu_s"] / best_peer, 1),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = ["| | events/s | CPU s | events per CPU s |", "|---|---|---|---|"]
    for name, row in result["rows"].items():
        cells = [f"{row[k]:,}" if k in row else "–" for k in ("events_per_s", "cpu_s")]
        per_cpu = f"{row['events_per_cpu_s']:,}" if "events_per_cpu_s" in row else "–"
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {per_cpu} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args()
    result = run(args.events, args.partitions)
    print(json.dumps(result, indent=2))
    print(markdown(result), file=sys.stderr)


if __name__ == "__main__":
    main()
