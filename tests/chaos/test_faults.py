"""The fault test: real broker, real processes, seeded, bounded in time.

A generated input with retries, revisions, withdrawals, out-of-order arrival, events at the
extremes the edge allows, and poison (undecodable, invalid, beyond the edge, wrongly keyed,
conflicting, and records that raise inside processing because their incident's state on the
changelog does not decode) is processed while workers are killed with SIGKILL at random
points, the materialiser (the store's writer, a process of its own) is killed too, the broker
is stopped gracefully and killed, and a second worker joins and leaves.
Once the input is drained, every live aggregate and every stored yearly total equals the
reference computed by `tests.reference` from the accepted events; then a replay from offset 0
changes nothing.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from typer.testing import CliRunner

from events.binding import to_kafka
from events.models import parse_event
from events.registry import load_registries
from service.cli import app
from service.devtools.broker import LocalBroker
from service.kafka.changelog import incident_key
from service.kafka.topics import Topics
from service.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.repository import SqlTotalsRepository
from tests import factories
from tests.faults import SCOPES, case_events, check_equal, live, stored_cases
from tests.integration.kafka_util import client_options, ensure, produce_inputs, read_all
from tests.reference import expected_cases, expected_totals, stored_totals
from tests.support import (
    FIELD_SYSTEMS,
    READER_KEY,
    Process,
    free_port,
    settings_env,
    wait_until,
)
from tests.unit.test_counting import generate

pytestmark = pytest.mark.chaos
REGISTRIES = load_registries()
Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]


class Input:
    """The records a run produces, in four phases, and what the service must make of them."""

    def __init__(self, seed: int, incidents: int) -> None:
        rnd = random.Random(seed)
        events = generate(seed, incidents)  # shuffled: revisions arrive out of order
        events += edge_events(seed)  # accepted, at the extremes of every field
        # Woonoverlast cases: statuses before their case, revisions, withdrawals, retries.
        events += case_events(seed, incidents // 40, factories.SCHADE)
        rnd.shuffle(events)
        self.accepted = list(events)
        records: list[Record] = [to_kafka(parse_event(e, REGISTRIES)) for e in events]
        kinds = Counter(e["type"].split(".")[2] for e in events)
        retries = len(events) - len({e["id"] for e in events})
        revised = {(e["source"], e["subject"]) for e in events if e["data"]["revision"] > 1}
        self.stats = {"events": len(events), "retries": retries, "revised": len(revised), **kinds}
        assert retries >= len(events) // 10, self.stats  # ≥ 10 % duplicates
        assert len(revised) >= len(events) // 20, self.stats  # ≥ 5 % revisions, withdrawals

        # Poison: undecodable, invalid and wrongly keyed records, and conflicting revisions
        # (the same revision under another id) of incidents that have one revision only, sent
        # in a later phase than the original so that the original is the one counted.
        self.poison: list[tuple[bytes | None, str]] = []
        per_incident = Counter((e["source"], e["subject"]) for e in events)
        per_id = Counter(e["id"] for e in events)
        single = [
            e
            for e in events
            if e["type"] != "nl.wijkwacht.intrekking.v1"
            and per_incident[(e["source"], e["subject"])] == per_id[e["id"]]
        ]
        late: list[Record] = []
        for n in range(max(5, len(events) // 100)):
            original = rnd.choice(single)
            conflict = {**original, "id": f"conflict-{seed}-{n}"}
            key, value, headers = to_kafka(parse_event(conflict, REGISTRIES))
            late.append((key, value, headers))
            self.poison.append((key, "conflict-revision"))
        early: list[Record] = []
        for n in range(max(5, len(events) // 100)):
            key, value, headers = rnd.choice(records)
            kind = n % 3
            if kind == 0:
                early.append((key, b"\xff{not json", headers))
                self.poison.append((key, "invalid"))
            elif kind == 1:
                early.append((key, value.replace(b'"revision":', b'"revisie":'), headers))
                self.poison.append((key, "invalid"))
            else:
                early.append((b"wrong-key-" + key, value, headers))
                self.poison.append((b"wrong-key-" + key, "wrong-key"))
        for key, value, headers in beyond_the_edge(seed):
            early.append((key, value, headers))
            self.poison.append((key, "invalid"))
        # Records that raise inside processing: three incidents whose state on the changelog
        # does not decode, as if something else than a worker had written it there (see
        # `corrupt_state`). Each of their events must go to the dead letters, uncounted.
        raising = [factories.report(f"R{seed}-{n}", category="overig") for n in range(3)]
        raising.append(factories.report(f"R{seed}-0", revision=2, category="afval"))
        for event in raising:
            key, value, headers = to_kafka(parse_event(event, REGISTRIES))
            early.append((key, value, headers))
            self.poison.append((key, "processing-error"))
        self.corrupt = sorted({(e["source"], e["subject"]) for e in raising})
        # single-revision originals must come before their conflicts: keep them in phase 1
        firsts = [r for r in records if r[0] in {k for k, _ in self.poison}]
        rest = [r for r in records if r[0] not in {k for k, _ in self.poison}]
        quarter = len(rest) // 4
        mixed = firsts + early + rest[:quarter]
        rnd.shuffle(mixed)
        self.phases = [
            mixed,
            rest[quarter : 2 * quarter],
            rest[2 * quarter : 3 * quarter] + late,
            rest[3 * quarter :],
        ]
        rnd.shuffle(self.phases[2])


EDGE_SYSTEM = "f" * 63  # the longest field-system name: its input topic is made too


def edge_events(seed: int) -> list[dict[str, Any]]:
    """Events the edge accepts at its extremes: the longest id, source and subject, the
    highest revision and amount, the first and last moments of the static time window."""
    source = "urn:" + "%7E" * 50 + "x" * 29 + ":systeem:" + EDGE_SYSTEM  # 255 characters
    subject = f"E{seed}-" + "s" * (128 - len(f"E{seed}-"))
    first, last = "2000-01-01T00:00:00Z", "2100-12-31T22:59:59Z"
    report = factories.report(subject, revision=2**53, occurred_at=first, category="overig")
    report |= {"id": f"~{seed} " + "!" * (128 - len(f"~{seed} ")), "source": source, "time": last}
    damage = factories.damage(
        f"{subject[:-1]}d", jaarwisseling=2100, amount_cents=100_000_000, occurred_at=last
    )
    damage |= {"time": last}
    camera = factories.camera_incident(f"E{seed}-c", occurred_at=last, camera="buytenwegh")
    camera |= {"time": first, "id": " " * 128}
    return [report, damage, camera]


def corrupt_state(settings: Settings, incidents: list[tuple[str, str]]) -> None:
    """Write state values that do not decode for `incidents` to the changelog partitions of
    their input partitions, before a worker reads the changelog."""
    topics = Topics(settings.namespace)
    partitions = list(range(settings.topic_partitions))

    async def write() -> None:
        producer = AIOKafkaProducer(**client_options(settings), acks="all")
        await producer.start()
        try:
            for source, subject in incidents:
                partition = DefaultPartitioner()(
                    (source + subject).encode(), partitions, partitions
                )
                key = incident_key(source, subject)
                await producer.send_and_wait(topics.state, b"{?", key=key, partition=partition)
        finally:
            await producer.stop()

    asyncio.run(write())


def beyond_the_edge(seed: int) -> list[Record]:
    """Records straight to Kafka that the API would refuse: the worker must dead-letter them
    as invalid and go on (year 9999 once stopped it for good)."""
    key, value, headers = to_kafka(parse_event(factories.report(f"X{seed}"), REGISTRIES))
    named = dict(headers)
    far = value.replace(b"2022-06-01T09:55:00+02:00", b"9999-12-31T23:59:59+00:00")
    assert far != value
    variants = [
        (key, far, headers),
        (key, value, [*headers[:1], ("ce_id", b"\x00nul"), *headers[2:]]),
        (key, value, [(n, named[n] + b"\x1f" if n == "ce_source" else v) for n, v in headers]),
        (key, value.replace(b'"revision":1', b'"revision":' + str(2**63).encode()), headers),
    ]
    return variants


class Cluster:
    """One broker, up to two workers and an API, all started the way a user starts them."""

    def __init__(self, tmp_path: Path, seed: int, store: str) -> None:
        self.tmp = tmp_path
        self.rnd = random.Random(seed)
        port = free_port(2)
        self.broker = LocalBroker(
            Settings(
                _env_file=None,  # type: ignore[call-arg]
                data_dir=tmp_path / "broker",
                local_broker_port=port,
                kafka_field_systems=FIELD_SYSTEMS,
            ),
        )
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            kafka_bootstrap=f"127.0.0.1:{port}",
            kafka_clients_dir=self.broker.clients_dir,
            kafka_field_systems=f"{FIELD_SYSTEMS},{EDGE_SYSTEM}",
            namespace=f"chaos{seed}",
            database_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
            data_dir=tmp_path / "var",
            topic_partitions=3,
            api_port=free_port(),
            worker_store=store,
            worker_metrics_port=0,
            reader_keys=f"dashboard:{READER_KEY}",
        )
        self.env = settings_env(self.settings)
        self.topics = Topics(self.settings.namespace)
        self.processes: list[Process] = []
        self.log: list[str] = []
        self._started = Counter[str]()

    def start(self, role: str) -> Process:
        self._started[role] += 1
        name = f"{role}-{self._started[role]}"
        process = Process([role.rstrip("0123456789")], self.env, self.tmp / f"{name}.log")
        self.processes.append(process)
        self.log.append(f"start {name} (pid {process.pid})")
        return process

    def start_broker(self) -> None:
        self.broker.start()
        self.broker.wait_ready(timeout=90)
        self.broker.apply_acls(self.settings.namespace)
        self.log.append("broker up")

    def changelog_size(self) -> int:
        """Records in the state changelog so far: how far processing has come."""

        async def size() -> int:
            consumer = AIOKafkaConsumer(**client_options(self.settings))
            await consumer.start()
            try:
                tps = [
                    TopicPartition(self.topics.state, p)
                    for p in range(self.settings.topic_partitions)
                ]
                return sum((await consumer.end_offsets(tps)).values())
            finally:
                await consumer.stop()

        try:
            return asyncio.run(size())
        except Exception:
            return 0

    def kill_while_processing(self, worker: Process, base: int) -> None:
        """SIGKILL `worker` a seeded random moment after it started writing past `base`
        changelog records (the size before the phase it works on was produced)."""
        wait_until(
            lambda: self.changelog_size() > base or not worker.alive(),
            timeout=120,
            interval=0.05,
            what=f"the worker to write past changelog record {base}",
        )
        assert worker.alive(), worker.output()[-3000:]
        time.sleep(self.rnd.uniform(0.0, 0.5))
        worker.kill()
        grown = self.changelog_size() - base
        self.log.append(f"SIGKILL worker pid {worker.pid}: changelog grew by {grown}")

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()
        self.broker.stop()


@pytest.mark.parametrize(
    ("seed", "store"), [(101, "memory"), (202, "rocksdb"), (303, "memory")], ids=str
)
def test_exact_under_kills_broker_restarts_and_rebalances(
    tmp_path: Path, seed: int, store: str
) -> None:
    data = Input(seed, incidents=6000)
    cluster = Cluster(tmp_path, seed, store)
    settings, topics, rnd = cluster.settings, cluster.topics, cluster.rnd
    api = f"http://127.0.0.1:{settings.api_port}"
    try:
        cluster.start_broker()
        ensure(settings)
        corrupt_state(settings, data.corrupt)
        cluster.start("api")
        worker = cluster.start("worker")
        materialiser = cluster.start("materialise")

        base = cluster.changelog_size()
        produce_inputs(settings, data.phases[0])
        cluster.kill_while_processing(worker, base)  # SIGKILL 1
        worker = cluster.start("worker")
        base = cluster.changelog_size()
        produce_inputs(settings, data.phases[1])
        cluster.kill_while_processing(worker, base)  # SIGKILL 2
        worker = cluster.start("worker")
        time.sleep(rnd.uniform(0.0, 2.0))
        materialiser.kill()  # SIGKILL the store's writer, at a seeded moment
        cluster.log.append(f"SIGKILL materialiser pid {materialiser.pid}")
        materialiser = cluster.start("materialise")

        cluster.broker.stop()  # gracefully, while the worker runs
        cluster.log.append("broker stopped (SIGTERM)")
        cluster.start_broker()
        base = cluster.changelog_size()
        produce_inputs(settings, data.phases[2])
        second = cluster.start("worker2")  # joins: a rebalance
        cluster.kill_while_processing(worker, base)  # SIGKILL 3
        worker = cluster.start("worker")

        cluster.broker.kill()
        cluster.log.append("broker killed (SIGKILL)")
        cluster.start_broker()
        produce_inputs(settings, data.phases[3])
        if rnd.random() < 0.5:
            wait_until(lambda: cluster.changelog_size() > 0, timeout=60, what="progress")
        assert second.stop() == 0, second.output()[-3000:]  # leaves: another rebalance
        cluster.log.append("worker2 left (SIGTERM)")

        expected = {
            scope: expected_totals(data.accepted, scope=scope) for scope in ("year", *SCOPES[1:])
        }
        periods = {scope: sorted({k[3] for k in expected[scope]}) for scope in SCOPES}

        def everything_live() -> dict[Any, Any]:
            return {
                (scope, *key): value
                for scope in SCOPES
                for period in periods[scope]
                for key, value in live(api, scope, period).items()
            }

        want_live = {(scope, *k): v for scope in SCOPES for k, v in expected[scope].items()}
        check_equal("the live aggregates", want_live, everything_live, timeout=180)

        upgrade(settings.store_url)
        repository = SqlTotalsRepository(make_engine(settings.store_url))

        def stored() -> dict[Any, Any]:
            return stored_totals(repository, periods["year"])

        check_equal("the stored yearly totals", expected["year"], stored, timeout=60)
        case_years_ = range(2021, 2025)
        want_cases = {k: n for k, n in expected_cases(data.accepted, case_years_).items() if n}

        def cases() -> dict[Any, int]:
            return stored_cases(repository, case_years_)

        check_equal("the stored woonoverlast figures", want_cases, cases, timeout=60)

        dead = {
            (r.key, dict(r.headers)["wijkwacht-error"].decode())
            for r in read_all(settings, topics.dlq)
        }
        assert dead == set(data.poison), (sorted(dead), sorted(data.poison))

        # A replay from offset 0 (every worker stopped) rebuilds the very same figures.
        for process in cluster.processes:
            if process.alive():
                clean = (0, -signal.SIGTERM) if process.args == ["api"] else (0,)  # uvicorn
                assert process.stop() in clean, process.output()[-3000:]  # re-raises SIGTERM
        replayed = CliRunner().invoke(app, ["replay"], env=cluster.env)
        assert replayed.exit_code == 0, replayed.output
        corrupt_state(settings, data.corrupt)  # the same rogue writer, on the new changelog
        cluster.start("api")
        cluster.start("worker")
        cluster.start("materialise")
        check_equal("the live aggregates after replay", want_live, everything_live, timeout=180)
        check_equal("the stored totals after replay", expected["year"], stored, timeout=60)
        check_equal("the stored woonoverlast figures after replay", want_cases, cases, timeout=60)
    except BaseException:
        print("\n".join(cluster.log))
        print(f"input: {data.stats}, poison: {len(data.poison)}")
        raise
    finally:
        cluster.stop_all()
