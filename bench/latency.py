"""Latency from HTTP 202 to the SSE update, at a steady request rate, on the real stack.

    .venv/bin/python -m bench.latency --rate 500 --seconds 20 [--transactions on|off|both] \
        [--batch 1]

Starts a private broker, one `wijkwacht worker` and one `wijkwacht api` process; a listener
process subscribes to GET /v1/live/stream (scope year), then this process posts enforcement
reports at a steady rate of events per second, `--batch` of them per request. Each event's
latency is the time from its 202 to the first SSE row of its cell whose count covers it (both
clocks CLOCK_MONOTONIC, shared by the processes). Prints p50, p90, p99 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
import uuid
from collections import defaultdict
from multiprocessing import Process, Queue
from pathlib import Path
from queue import Empty
from typing import Any

import aiohttp
import httpx

from bench.common import REGISTRIES, bench_settings, local_broker, start_worker
from service.bootstrap import Wiring
from service.settings import Settings
from tests import factories
from tests.support import Process as Service
from tests.support import free_port, settings_env

KEY = "bench-key-0123456789abcdef"
READER_KEY = "bench-reader-key-0123456789"


def listen(base: str, total: int, out: Queue[list[tuple[tuple[str, str], int, float]]]) -> None:
    """In a process of its own (so that posting never delays reading): every SSE row of
    scope year as (cell, count, time seen), until `total` counts have been seen."""

    async def main() -> None:
        seen: list[tuple[tuple[str, str], int, float]] = []
        latest: dict[tuple[str, str], int] = {}
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=300)) as client,
            client.stream(
                "GET",
                f"{base}/v1/live/stream",
                params={"scope": "year", "period": "2022"},
                headers={"authorization": f"Bearer {READER_KEY}"},
            ) as response,
        ):
            name = None
            start: dict[tuple[str, str], int] = {}  # counts before this run: not ours
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and name == "snapshot":
                    for row in json.loads(line[5:])["rows"]:
                        start[(row["category"], row["wijk"])] = row["count"]
                    out.put([])  # subscribed: posting may start
                elif line.startswith("data:") and name == "rows":
                    now = time.monotonic()
                    for row in json.loads(line[5:])["rows"]:
                        cell = (row["category"], row["wijk"])
                        ours = row["count"] - start.get(cell, 0)
                        seen.append((cell, ours, now))
                        latest[cell] = ours
                    if sum(latest.values()) >= total:
                        break
        out.put(seen)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


async def post_steadily(
    base: str, rate: float, total: int, batch: int = 1
) -> tuple[dict[tuple[str, str], list[float]], list[float]]:
    """Post `total` reports at `rate` per second, `batch` per request; the 202 times per cell,
    in order. aiohttp, not httpx: at 500 requests/s httpx's client alone took most of a core."""
    accepted: dict[tuple[str, str], list[float]] = defaultdict(list)
    wijken = sorted(REGISTRIES.wijk_codes())
    categories = sorted(REGISTRIES.category_codes("handhavingsmelding"))
    content_type = "application/cloudevents+json"
    if batch > 1:
        content_type = "application/cloudevents-batch+json"
    headers = {"content-type": content_type, "authorization": f"Bearer {KEY}"}

    requests: list[float] = []

    def cell_of(n: int) -> tuple[str, str]:
        return categories[n % len(categories)], wijken[(n // len(categories)) % len(wijken)]

    async def post(session: aiohttp.ClientSession, first: int) -> None:
        cells = [cell_of(n) for n in range(first, min(first + batch, total))]
        events = [
            factories.report(f"LAT-{uuid.uuid4().hex}", category=category, wijk=wijk)
            for category, wijk in cells
        ]
        body = json.dumps(events if batch > 1 else events[0])
        sent = time.monotonic()
        async with session.post(f"{base}/v1/events", data=body, headers=headers) as response:
            response.raise_for_status()
            await response.read()
        done = time.monotonic()
        for cell in cells:
            accepted[cell].append(done)
        requests.append(done - sent)

    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        tasks = []
        for first in range(0, total, batch):
            delay = started + first / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(session, first)))
        await asyncio.gather(*tasks)
    last = max(t for times in accepted.values() for t in times)
    print(f"posted {total} events in {last - started:.1f}s: {total / (last - started):.0f}/s")
    for times in accepted.values():
        times.sort()
    return accepted, requests


def latencies(
    accepted: dict[tuple[str, str], list[float]], seen: list[tuple[tuple[str, str], int, float]]
) -> list[float]:
    """Per accepted event: from its 202 to the first row of its cell whose count covers it
    (the n-th 202 of a cell is covered by a count of at least n)."""
    result = []
    for cell, times in accepted.items():
        rows = [(count, at) for c, count, at in seen if c == cell]
        for n, accepted_at in enumerate(times, start=1):
            covered = [at for count, at in rows if count >= n]
            if covered:  # the update may even beat the 202 to its client: latency 0
                result.append(max(min(covered) - accepted_at, 0.0))
    return result


def run(
    rate: float, seconds: float, modes: list[bool], secure: bool, batch: int = 1
) -> list[dict[str, Any]]:
    """One broker (PLAINTEXT, or secured) and worker; per mode (transactions on or off) an
    API of its own, posting at `rate` for `seconds`."""
    with local_broker(secure) as (broker, data):
        settings = bench_settings(
            broker,
            data,
            "latency",
            api_port=free_port(),
            api_keys=f"handhaving-app:{KEY}",
            reader_keys=f"bench:{READER_KEY}",
        )
        asyncio.run(Wiring(settings).ensure_topics())
        worker = start_worker(settings, data / "worker.log")
        try:
            return [
                measure(
                    settings.model_copy(update={"api_transactions": on, "api_port": free_port()}),
                    data,
                    rate,
                    seconds,
                    batch,
                )
                for on in modes
            ]
        finally:
            worker.stop()


def measure(
    settings: Settings, data: Path, rate: float, seconds: float, batch: int
) -> dict[str, Any]:
    mode = "on" if settings.api_transactions else "off"
    api = Service(["api"], settings_env(settings), data / f"api-transactions-{mode}.log")
    base = f"http://127.0.0.1:{settings.api_port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        total = int(rate * seconds)
        results: Queue[list[tuple[tuple[str, str], int, float]]] = Queue()
        listener = Process(target=listen, args=(base, total, results), daemon=True)
        listener.start()
        results.get(timeout=60)  # subscribed
        accepted, requests = asyncio.run(post_steadily(base, rate, total, batch))
        try:
            seen = results.get(timeout=60)
        except Empty:
            seen = []
        listener.terminate()
        measured = latencies(accepted, seen)
    finally:
        api.stop()
    ms = sorted(x * 1000 for x in measured)
    quantiles = statistics.quantiles(ms, n=100)
    request_ms = statistics.quantiles(sorted(x * 1000 for x in requests), n=100)
    return {
        "transactions": mode,
        "rate_per_s": rate,
        "events_per_request": batch,
        "events": int(rate * seconds),
        "measured": len(ms),
        "p50_ms": round(quantiles[49], 1),
        "p90_ms": round(quantiles[89], 1),
        "p99_ms": round(quantiles[98], 1),
        "max_ms": round(ms[-1], 1),
        "request_p50_ms": round(request_ms[49], 1),
        "request_p99_ms": round(request_ms[98], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--transactions",
        choices=["on", "off", "both"],
        default="both",
        help="the API's writes in one Kafka transaction per request, or not, or both in turn",
    )
    parser.add_argument(
        "--kafka",
        choices=["plaintext", "secured", "both"],
        default="plaintext",
        help="the broker PLAINTEXT, secured as `wijkwacht broker` runs it, or both in turn",
    )
    parser.add_argument("--batch", type=int, default=1, help="events per request")
    args = parser.parse_args()
    modes = {"on": [True], "off": [False], "both": [True, False]}[args.transactions]
    kafka = {"plaintext": [False], "secured": [True], "both": [False, True]}[args.kafka]
    results = [
        {"kafka": "SASL_SSL (SCRAM-SHA-512), ACLs" if secure else "PLAINTEXT", **result}
        for secure in kafka
        for result in run(args.rate, args.seconds, modes, secure, args.batch)
    ]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
