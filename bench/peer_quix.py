"""Wijkwacht's counting job written as a Quix Streams user would write it: the peer of
bench/peer.py. It runs in the benchmark's own environment (`make bench-peer`), so it imports
only Quix Streams and the standard library, nothing of Wijkwacht.

    .cache/bench/peer-venv/bin/python bench/peer_quix.py --bootstrap 127.0.0.1:9092 \
        --topics a,b,c --events 100000 --guarantee exactly-once --state-dir /tmp/quix

Per input topic (one per field system, as Wijkwacht's):
1. a stateful `apply` per incident (the record key): a repeated event id is a duplicate, a
   revision at or below the one counted is stale, a higher one takes the incident's place, a
   withdrawal takes it out; it emits a +/- delta for each period cell (year, month, ISO week,
   day in local time) the change touches;
2. `group_by` the cell, through a repartition topic;
3. a stateful sum per cell.

Records are Wijkwacht's binary-mode CloudEvents: the `ce_*` headers and the JSON payload. Like
Wijkwacht's fast path for sealed records, it decodes and does not validate. When every input
record is in and every delta is summed it prints one JSON line: events, seconds and CPU seconds
from the first record, and the incidents the year cells count (the orchestrator checks it).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from quixstreams import Application, State

LOCAL = ZoneInfo("Europe/Amsterdam")
KINDS = {
    "nl.wijkwacht.handhavingsmelding.v1": "handhavingsmelding",
    "nl.wijkwacht.cameraincident.v1": "cameraincident",
    "nl.wijkwacht.jaarwisselingsschade.v1": "jaarwisselingsschade",
    "nl.wijkwacht.intrekking.v1": None,
}


class Progress:
    """Counts across the pipeline's steps; the app runs them in one thread."""

    def __init__(self) -> None:
        self.inputs = 0
        self.emitted = 0
        self.summed = 0
        self.year_counts: dict[str, int] = {}
        self.started_at: float | None = None
        self.cpu_at: float | None = None

    def start(self) -> None:
        if self.started_at is None:
            self.started_at, self.cpu_at = time.perf_counter(), time.process_time()


PROGRESS = Progress()


def cells(kind: str, data: dict[str, Any], headers: dict[str, bytes]) -> list[str]:
    """The period cells an incident counts in."""
    if kind == "jaarwisselingsschade":
        moment = data.get("occurred_at") or headers["ce_time"].decode()
        year = data["jaarwisseling"]
    else:
        moment, year = data["occurred_at"], None
    day = datetime.fromisoformat(moment).astimezone(LOCAL).date()
    return [
        f"{kind}|{data['category']}|{data.get('wijk', '')}|{scope}|{label}"
        for scope, label in periods(day, year)
    ]


def periods(day: date, year: int | None) -> list[tuple[str, str]]:
    iso = day.isocalendar()
    return [
        ("year", str(year or day.year)),
        ("month", f"{day.year:04d}-{day.month:02d}"),
        ("week", f"{iso.year:04d}-W{iso.week:02d}"),
        ("day", day.isoformat()),
    ]


def per_incident(
    data: dict[str, Any], key: Any, timestamp: int, headers: Any, state: State
) -> list[dict[str, Any]]:
    """The deltas one event makes, from the incident's state."""
    PROGRESS.start()
    PROGRESS.inputs += 1
    header = {name: value for name, value in headers or ()}
    event_id = header["ce_id"].decode()
    kind = KINDS[header["ce_type"].decode()]
    current = state.get("incident")
    if current is not None and (
        current["id"] == event_id or data["revision"] <= current["revision"]
    ):
        return []  # a duplicate, or stale
    deltas = []
    if current is not None:
        for cell in current["cells"]:
            deltas.append({"cell": cell, "n": -1, "amount": -current["amount"]})
    new_cells = [] if kind is None else cells(kind, data, header)
    amount = data.get("amount_cents", 0)
    for cell in new_cells:
        deltas.append({"cell": cell, "n": 1, "amount": amount})
    state.set(
        "incident",
        {"id": event_id, "revision": data["revision"], "cells": new_cells, "amount": amount},
    )
    PROGRESS.emitted += len(deltas)
    return deltas


def add(delta: dict[str, Any], state: State) -> dict[str, Any]:
    """A cell's running total."""
    total = state.get("total") or {"n": 0, "amount": 0}
    total = {"n": total["n"] + delta["n"], "amount": total["amount"] + delta["amount"]}
    state.set("total", total)
    PROGRESS.summed += 1
    if "|year|" in delta["cell"]:
        PROGRESS.year_counts[delta["cell"]] = total["n"]
    return total


def watch(events: int) -> None:
    """Print the result and end the process once everything is processed."""
    while True:
        time.sleep(0.05)
        done = PROGRESS.inputs >= events and PROGRESS.summed >= PROGRESS.emitted > 0
        if done and PROGRESS.started_at is not None and PROGRESS.cpu_at is not None:
            result = {
                "events": PROGRESS.inputs,
                "seconds": time.perf_counter() - PROGRESS.started_at,
                "cpu_seconds": time.process_time() - PROGRESS.cpu_at,
                "counted": sum(PROGRESS.year_counts.values()),
            }
            print(json.dumps(result), flush=True)
            os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topics", required=True, help="comma-separated input topics")
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--guarantee", choices=("at-least-once", "exactly-once"), required=True)
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args()
    app = Application(
        broker_address=args.bootstrap,
        consumer_group=f"peer-quix-{args.guarantee}",
        auto_offset_reset="earliest",
        processing_guarantee=args.guarantee,
        state_dir=args.state_dir,
        loglevel="WARNING",
    )
    for name in args.topics.split(","):
        topic = app.topic(name, key_deserializer="bytes", value_deserializer="json")
        sdf = app.dataframe(topic)
        sdf = sdf.apply(per_incident, stateful=True, metadata=True, expand=True)
        sdf = sdf.group_by(lambda delta: delta["cell"], name=f"cell-{name}")
        sdf = sdf.apply(add, stateful=True)
    threading.Thread(target=watch, args=(args.events,), daemon=True).start()
    app.run()


if __name__ == "__main__":
    main()
