"""Session fixtures: one real Kafka broker and one private PostgreSQL for the whole run; each
test gets its own namespace (topics, consumer groups) and its own database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.devtools.broker import LocalBroker
from service.settings import Settings
from tests.support import FIELD_SYSTEMS, READER_KEY, PostgresCluster, free_port


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    try:
        kafka = (
            f"Apache Kafka {LocalBroker(settings).version()} (jars in {settings.kafka_jars_dir})"
        )
    except Exception as exc:
        kafka = f"Apache Kafka: {exc}"
    try:
        from tests.support import postgres_bindir

        postgres = f"PostgreSQL server binaries in {postgres_bindir()}"
    except RuntimeError as exc:
        postgres = str(exc)
    return [kafka, postgres]


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real single-node Apache Kafka broker for this run, secured as production runs it:
    SASL_SSL, SCRAM, ACLs (each test namespace gets the production ACLs)."""
    data_dir = tmp_path_factory.mktemp("kafka")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        local_broker_port=free_port(2),
        kafka_field_systems=FIELD_SYSTEMS,
    )
    broker = LocalBroker(settings)
    broker.start()
    try:
        broker.wait_ready(timeout=90)
        print(f"\nApache Kafka {broker.version()} ({broker.mode}) ready at {broker.bootstrap}")
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka(broker: LocalBroker) -> str:
    """Bootstrap address of the session's broker."""
    return broker.bootstrap


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    print(f"\n{cluster.version()} on port {cluster.port}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def namespace() -> str:
    """A namespace of topics and groups of this test's own."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store of each kind: every store test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database("t" + uuid.uuid4().hex[:12])


@pytest.fixture
def settings(broker: LocalBroker, namespace: str, tmp_path: Path) -> Settings:
    """Settings for a test on the real secured broker, its processes signing in as their own
    principals, with a SQLite store of its own (store tests take `database_url` to run on
    both databases)."""
    broker.apply_acls(namespace)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        kafka_bootstrap=broker.bootstrap,
        kafka_clients_dir=broker.clients_dir,
        kafka_field_systems=FIELD_SYSTEMS,  # each gets its input topic
        namespace=namespace,
        database_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        data_dir=tmp_path / "var",
        topic_partitions=3,
        api_keys="handhaving-app:test-key-handhaving-0001,camera-app:test-key-camera-000001",
        reader_keys=f"dashboard:{READER_KEY}",
        worker_metrics_port=0,  # tests that read a worker's metrics give it a free port
        materialiser_metrics_port=0,
    )
