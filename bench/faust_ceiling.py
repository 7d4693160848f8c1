"""What faust-streaming itself delivers, with no work per event: the ceiling of any faust agent.

    .venv/bin/python -m bench.faust_ceiling --events 60000 --mode take

Produces N records to a fresh topic on a private broker, then runs a faust app in this process
whose agent only counts: `events` iterates stream.events(), `take` stream.take_events(2000),
`channel` reads the topic channel's queue directly and acks by hand. Prints events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

import faust
from faust.worker import Worker

from bench.common import bench_settings, distinct_incidents, local_broker, produce_to
from service.bootstrap import Wiring
from service.kafka.topics import Topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--mode", choices=["events", "take", "channel"], default="take")
    args = parser.parse_args()
    count, mode = args.events, args.mode
    with local_broker() as (broker, data):
        settings = bench_settings(broker, data, "ceiling", topic_partitions=6)
        asyncio.run(Wiring(settings).ensure_topics())
        topic_name = Topics(settings.namespace).input("handhaving-app")
        produce_to(settings, topic_name, list(distinct_incidents(count)))
        app = faust.App(
            f"ceiling-{mode}",
            broker=f"kafka://{broker.bootstrap}",
            web_enabled=False,
            datadir=str(data / "faust"),
            consumer_auto_offset_reset="earliest",
            topic_partitions=6,
        )
        topic = app.topic(
            topic_name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )
        seen: dict[str, Any] = {"n": 0, "t0": None}

        def tally(n: int) -> None:
            seen["t0"] = seen["t0"] or time.perf_counter()
            seen["n"] += n
            if seen["n"] >= count:
                rate = count / (time.perf_counter() - seen["t0"])
                print(
                    json.dumps({"mode": mode, "events": count, "events_per_s": round(rate)}),
                    flush=True,
                )
                os._exit(0)

        async def agent(stream: Any) -> None:
            if mode == "events":
                async for _ in stream.events():
                    tally(1)
            else:
                async for batch in stream.take_events(2000, within=0.02):
                    tally(len(batch))

        async def channel() -> None:
            queue = topic.__aiter__().queue
            while True:
                batch = [await queue.get()]
                while len(batch) < 2000 and not queue.empty():
                    batch.append(queue.get_nowait())
                for event in batch:
                    event.ack()
                tally(len(batch))

        if mode == "channel":
            app.task(channel)
        else:
            app.agent(topic)(agent)
        Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
