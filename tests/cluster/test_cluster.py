"""The fault test on a local three-broker cluster (`wijkwacht broker --brokers 3`, secured,
replication factor 3, min.insync.replicas 2): three workers and two materialisers as processes,
a field system posting a seeded input with duplicates, revisions and withdrawals through the
API, retrying what is not acknowledged, while (a) the leader of an input partition is
SIGKILLed and comes back, (b) the active controller is stopped and comes back, (c) a broker is
stopped for longer than the session timeout, (d) a worker and a materialiser are SIGKILLed.
Afterwards every live aggregate and every stored total equals the reference of what the API
acknowledged, and the API answered 503 only within the faults; how long is printed.

Each run takes a new seed (input, batch order, fault timing, which broker is stopped), printed
with the outcome; WIJKWACHT_CLUSTER_SEED=<seed> runs that one again."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.devtools.broker import LocalBroker
from service.devtools.kafkatools import java_command, run_tool
from service.devtools.nodes import Node
from service.kafka.topics import Topics, ensure_topics
from service.settings import ADMIN_PRINCIPAL
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository
from tests.faults import SCOPES, check_equal, live
from tests.reference import expected_totals, stored_totals
from tests.support import Process, free_port, private_stack, settings_env, wait_until
from tests.unit.test_counting import generate

pytestmark = pytest.mark.cluster
SEED = int(os.environ.get("WIJKWACHT_CLUSTER_SEED") or random.SystemRandom().randrange(10**6))
BATCH = 50
PACE = 1.0  # seconds between batches: the stream lasts past the last fault
SLACK = 15.0  # seconds after a fault in which the cluster may still be settling
QUORUM_TOOL = "org.apache.kafka.tools.MetadataQuorumCommand"


@dataclass
class Poster:
    """A field system that posts every batch until the API acknowledges it (202), as the
    contract asks of field systems; it notes when and how the API refused."""

    base: str
    keys: dict[str, str]  # source → key
    batches: list[list[dict[str, Any]]]
    refusals: list[tuple[float, int | str]] = field(default_factory=list)
    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None
    finished: float = 0.0

    def run(self) -> None:
        try:
            with httpx.Client(timeout=30) as client:
                for batch in self.batches:
                    while not self._posted(client, batch):
                        time.sleep(0.5)
                    self.acknowledged += batch
                    time.sleep(PACE)
        except Exception as exc:  # said by the test, not lost in this thread
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.finished = time.monotonic()
            self.done.set()

    def _posted(self, client: httpx.Client, batch: list[dict[str, Any]]) -> bool:
        source = batch[0]["source"]
        try:
            answer = client.post(
                f"{self.base}/v1/events",
                content=json.dumps(batch),
                headers={
                    "content-type": "application/cloudevents-batch+json",
                    "authorization": f"Bearer {self.keys[source]}",
                },
            )
        except httpx.HTTPError as exc:
            self.refusals.append((time.monotonic(), type(exc).__name__))
            return False
        if answer.status_code == 202:
            return True
        if answer.status_code != 503:  # nothing else may refuse valid events
            raise AssertionError(f"{answer.status_code}: {answer.text[:500]}")
        self.refusals.append((time.monotonic(), 503))
        return False


@dataclass
class Faults:
    windows: list[tuple[str, float, float]] = field(default_factory=list)

    def during(self, moment: float) -> bool:
        return any(start <= moment <= end + SLACK for _, start, end in self.windows)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalBroker]:
    settings = private_stack(
        tmp_path / "stack",
        "cluster",
        local_broker_port=free_port(6),  # three nodes, a broker and a controller port each
        topic_partitions=3,
        worker_metrics_port=0,
        materialiser_metrics_port=0,
    )
    local = LocalBroker(settings, brokers=3)
    local.start()
    try:
        local.wait_ready(timeout=120)
        yield local
    finally:
        local.stop()


def batches_of(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Batches of one field system each (a key sends its own system's events)."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_source.setdefault(event["source"], []).append(event)
    batches = [
        chunk[n : n + BATCH] for chunk in by_source.values() for n in range(0, len(chunk), BATCH)
    ]
    random.Random(SEED).shuffle(batches)
    return batches


def active_controller(local: LocalBroker) -> Node:
    output = run_tool(
        java_command(
            local.java(),
            local.jars,
            QUORUM_TOOL,
            "--bootstrap-server",
            local.bootstrap,
            "--command-config",
            str(local.client_file(ADMIN_PRINCIPAL)),
            "describe",
            "--status",
        ),
        "describing the metadata quorum",
    )
    found = re.search(r"LeaderId:\s+(\d+)", output)
    assert found, output
    return next(node for node in local.nodes if node.id == int(found.group(1)))


def test_exact_on_three_brokers_under_broker_controller_and_process_faults(
    cluster: LocalBroker, tmp_path: Path
) -> None:
    local = cluster
    print(f"cluster fault test, seed {SEED} (again: WIJKWACHT_CLUSTER_SEED={SEED})")
    events = generate(SEED, 2000)  # duplicates, revisions, withdrawals, out of order
    sources = sorted({e["source"] for e in events})
    keys = {source: f"cluster-key-{n:02d}-0000000000" for n, source in enumerate(sources)}
    api_keys = ",".join(f"{s.rsplit(':', 1)[1]}:{k}" for s, k in keys.items())
    settings = local.settings.model_copy(
        update={
            "kafka_bootstrap": local.bootstrap,
            "kafka_clients_dir": local.clients_dir,
            "kafka_field_systems": ",".join(s.rsplit(":", 1)[1] for s in sources),
            "topic_replication_factor": 3,
        }
    )
    env = {**settings_env(settings), "WIJKWACHT_API_KEYS": api_keys}
    local.settings = settings
    local.secure_setup()  # credentials and ACLs of these field systems
    asyncio.run(ensure_topics(local.kafka_config()))  # as the operator: rf 3, min ISR 2
    input_topic = Topics(settings.namespace).input(sources[0].rsplit(":", 1)[1])

    logs = tmp_path / "logs"
    logs.mkdir()
    processes: list[Process] = []

    def start(role: str, name: str) -> Process:
        process = Process([role], env, logs / f"{name}.log")
        processes.append(process)
        return process

    base = f"http://127.0.0.1:{settings.api_port}"
    start("api", "api")
    workers = [start("worker", f"worker-{n}") for n in range(3)]
    materialisers = [start("materialise", f"materialiser-{n}") for n in range(2)]
    faults = Faults()
    poster = Poster(base, keys, batches_of(events))
    try:
        wait_until(lambda: _ready(base), timeout=90, what="the API")
        posting = threading.Thread(target=poster.run, daemon=True)
        posting.start()
        rnd = random.Random(SEED)

        def fault(name: str, act: Any, recover: Any, hold: float) -> None:
            time.sleep(rnd.uniform(2.0, 5.0))
            started = time.monotonic()
            target = act()
            time.sleep(hold)
            recover(target)
            faults.windows.append((name, started, time.monotonic()))

        # (a) the leader of an input partition, SIGKILLed, back after 5 s
        fault(
            "input leader SIGKILLed",
            lambda: _do(local.kill_node, local.leader_of(input_topic)),
            lambda node: _back(local, node),
            5.0,
        )
        # (b) the active controller, stopped, back after 5 s
        fault(
            "active controller stopped",
            lambda: _do(local.stop_node, active_controller(local)),
            lambda node: _back(local, node),
            5.0,
        )
        # (c) a broker stopped for longer than the session timeouts (brokers 9 s, workers 10 s)
        fault(
            "a broker stopped for 20 s",
            lambda: _do(local.stop_node, local.nodes[rnd.randrange(3)]),
            lambda node: _back(local, node),
            20.0,
        )
        # (d) a worker and a materialiser SIGKILLed, started again
        fault(
            "a worker and a materialiser SIGKILLed",
            lambda: (workers[0].kill(), materialisers[0].kill()),
            lambda _: (start("worker", "worker-0b"), start("materialise", "materialiser-0b")),
            1.0,
        )
        assert poster.done.wait(600), "the field system did not get every batch acknowledged"
        assert poster.error is None, poster.error
        last_fault = max(start for _, start, _ in faults.windows)
        assert poster.finished > last_fault, "the faults came after the stream: pace it slower"

        reference = {scope: expected_totals(poster.acknowledged, scope=scope) for scope in SCOPES}
        periods = {scope: sorted({k[3] for k in reference[scope]}) for scope in SCOPES}
        want = {(scope, *k): v for scope in SCOPES for k, v in reference[scope].items()}

        def everything_live() -> dict[Any, Any]:
            return {
                (scope, *key): value
                for scope in SCOPES
                for period in periods[scope]
                for key, value in live(base, scope, period).items()
            }

        check_equal("the live aggregates", want, everything_live, timeout=180)
        upgrade(settings.store_url)
        repository = SqlTotalsRepository(make_engine(settings.store_url))
        check_equal(
            "the stored yearly totals",
            reference["year"],
            lambda: stored_totals(repository, periods["year"]),
            timeout=120,
        )
        outside = [(t, what) for t, what in poster.refusals if not faults.during(t)]
        refused = len(poster.refusals)
        unavailable = _seconds_refused(poster.refusals)
        print(
            f"\nseed {SEED}: {len(poster.acknowledged)} events acknowledged in "
            f"{len(poster.batches)} batches; "
            f"{refused} refusals (503 or no answer) over {unavailable:.1f} s; faults: "
            + "; ".join(f"{name} {end - start:.1f} s" for name, start, end in faults.windows)
        )
        assert outside == [], f"refused outside every fault: {outside}"
    finally:
        for process in processes:
            process.stop()


def _do(act: Any, node: Node) -> Node:
    act(node)
    return node


def _back(local: LocalBroker, node: Node) -> None:
    local.start_node(node)
    local.wait_ready(timeout=120)


def _seconds_refused(refusals: list[tuple[float, int | str]]) -> float:
    """The time covered by runs of refusals less than 2 s apart."""
    total, start, last = 0.0, None, None
    for moment, _ in refusals:
        if start is None or last is None or moment - last > 2.0:
            if start is not None and last is not None:
                total += last - start
            start = moment
        last = moment
    if start is not None and last is not None:
        total += last - start
    return total


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
