"""Latency from HTTP 202 to the SSE update, at a steady request rate, on the real stack.

    .venv/bin/python -m bench.latency --rate 500 --seconds 20

Starts a private broker, one `wijkwacht worker` and one `wijkwacht api` process, subscribes to
GET /v1/live/stream (scope year), then posts single enforcement reports at a steady rate. Each
event's latency is the time from its 202 to the first SSE row of its cell whose count covers
it. Prints p50, p90, p99 and max in milliseconds.
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

import httpx

from bench.common import REGISTRIES, bench_settings, local_broker, start_worker
from service.topics import ensure_topics
from tests import factories
from tests.support import Process, free_port, settings_env

KEY = "bench-key-0123456789abcdef"


async def measure(base: str, rate: float, seconds: float) -> list[float]:
    accepted: dict[tuple[str, str], list[float]] = defaultdict(list)  # cell → 202 times
    matched: dict[tuple[str, str], int] = defaultdict(int)
    latencies: list[float] = []
    total = int(rate * seconds)
    all_seen = asyncio.Event()
    wijken = sorted(REGISTRIES.wijk_codes())
    categories = sorted(REGISTRIES.category_codes("handhavingsmelding"))

    async def listen(client: httpx.AsyncClient, ready: asyncio.Event) -> None:
        async with client.stream(
            "GET", f"{base}/v1/live/stream", params={"scope": "year", "period": "2022"}
        ) as response:
            name = None
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                    ready.set()
                elif line.startswith("data:") and name == "rows":
                    now = time.perf_counter()
                    for row in json.loads(line[5:])["rows"]:
                        cell = (row["category"], row["wijk"])
                        while matched[cell] < min(row["count"], len(accepted[cell])):
                            latencies.append(now - accepted[cell][matched[cell]])
                            matched[cell] += 1
                    if len(latencies) >= total:
                        all_seen.set()

    async def post(client: httpx.AsyncClient, n: int) -> None:
        cell = (categories[n % len(categories)], wijken[(n // len(categories)) % len(wijken)])
        event = factories.report(f"LAT-{uuid.uuid4().hex}", category=cell[0], wijk=cell[1])
        response = await client.post(
            f"{base}/v1/events",
            content=json.dumps(event),
            headers={
                "content-type": "application/cloudevents+json",
                "authorization": f"Bearer {KEY}",
            },
        )
        response.raise_for_status()
        accepted[cell].append(time.perf_counter())

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        ready = asyncio.Event()
        listener = asyncio.create_task(listen(client, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        started = time.perf_counter()
        tasks = []
        for n in range(total):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(client, n)))
        await asyncio.gather(*tasks)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_seen.wait(), timeout=30)
        listener.cancel()
    return latencies


def run(rate: float, seconds: float) -> dict[str, float]:
    with local_broker() as (bootstrap, data):
        settings = bench_settings(
            bootstrap, data, "latency", api_port=free_port(), api_keys=f"handhaving-app:{KEY}"
        )
        asyncio.run(ensure_topics(settings))
        worker = start_worker(settings, data / "worker.log")
        api = Process(["api"], settings_env(settings), data / "api.log")
        base = f"http://127.0.0.1:{settings.api_port}"
        try:
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            latencies = asyncio.run(measure(base, rate, seconds))
        finally:
            api.stop()
            worker.stop()
    ms = sorted(x * 1000 for x in latencies)
    quantiles = statistics.quantiles(ms, n=100)
    return {
        "rate_per_s": rate,
        "events": int(rate * seconds),
        "measured": len(ms),
        "p50_ms": round(quantiles[49], 1),
        "p90_ms": round(quantiles[89], 1),
        "p99_ms": round(quantiles[98], 1),
        "max_ms": round(ms[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    print(json.dumps(run(args.rate, args.seconds), indent=2))


if __name__ == "__main__":
    main()
