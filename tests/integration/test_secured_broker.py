"""The secured local broker: each principal can do its own job and is refused the rest, nobody
connects without a valid password over TLS to a trusted certificate, and the client files work
with Kafka's own console tools."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError
from aiokafka.helpers import create_ssl_context
from cryptography.hazmat.primitives import serialization

from events.binding import from_kafka
from events.registry import load_registries
from service.devtools.broker import LocalBroker
from service.devtools.kafkatools import java_command
from service.devtools.tls import new_ca
from service.kafka.clientfile import kafka_config_for
from service.kafka.topics import Topics, ensure_topics
from service.settings import Settings
from tests import factories
from tests.support import free_port

pytestmark = pytest.mark.integration

NAMESPACE = "wijkwacht"
REGISTRIES = load_registries()
FIELD_SYSTEM, KAFKA_ONLY = "handhaving-app", "camera-app"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalBroker, Settings]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("secured"),
        local_broker_port=free_port(2),
        namespace=NAMESPACE,
        api_keys=f"{FIELD_SYSTEM}:test-key-handhaving-0001",
        kafka_field_systems=KAFKA_ONLY,
        topic_partitions=2,
    )
    broker = LocalBroker(settings)
    broker.start()
    try:
        broker.wait_ready(timeout=180)
        asyncio.run(ensure_topics(kafka_config_for(settings, "admin")))
        yield broker, settings
    finally:
        broker.stop()


def options(secured: tuple[LocalBroker, Settings], principal: str, **extra: Any) -> dict[str, Any]:
    return kafka_config_for(secured[1], principal).client_options(**extra)


async def _produce(client: dict[str, Any], topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**client, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


def produce(client: dict[str, Any], topic: str, value: bytes = b"v") -> None:
    asyncio.run(_produce(client, topic, value))


async def _read(client: dict[str, Any], topic: str, group: str | None) -> list[Any]:
    consumer = AIOKafkaConsumer(
        **client,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        values: list[Any] = []
        for _ in range(40):
            if all([await consumer.position(tp) >= ends[tp] for tp in tps]):
                break
            batch = await consumer.getmany(timeout_ms=250)
            values += [r for chunk in batch.values() for r in chunk]
        if group is not None:
            await consumer.commit()
        return values
    finally:
        await consumer.stop()


def read(client: dict[str, Any], topic: str, group: str | None = None) -> list[bytes]:
    return [record.value for record in records(client, topic, group)]


def records(client: dict[str, Any], topic: str, group: str | None = None) -> list[Any]:
    return asyncio.run(_read(client, topic, group))


def test_the_api_writes_the_input_in_a_transaction(secured: tuple[LocalBroker, Settings]) -> None:
    topics = Topics(NAMESPACE)

    async def write() -> None:
        producer = AIOKafkaProducer(
            **options(secured, "wijkwacht-api"),
            acks="all",
            enable_idempotence=True,
            transactional_id=f"{NAMESPACE}.api.0.{uuid.uuid4().hex[:8]}",
        )
        await producer.start()
        try:
            async with producer.transaction():
                await producer.send(topics.input(FIELD_SYSTEM), b"from-the-api", key=b"k")
        finally:
            await producer.stop()

    asyncio.run(write())
    worker = options(secured, "wijkwacht-worker")
    assert b"from-the-api" in read(worker, topics.input(FIELD_SYSTEM))


def test_the_worker_reads_the_input_and_writes_changelog_and_dead_letters(
    secured: tuple[LocalBroker, Settings],
) -> None:
    topics = Topics(NAMESPACE)
    worker = options(secured, "wijkwacht-worker")
    produce(options(secured, FIELD_SYSTEM), topics.input(FIELD_SYSTEM), b"for-the-worker")
    assert b"for-the-worker" in read(worker, topics.input(FIELD_SYSTEM), topics.worker_group)
    produce(worker, topics.state, b"state-record")
    produce(worker, topics.dlq, b"dead-letter")
    assert b"state-record" in read(options(secured, "wijkwacht-materialiser"), topics.state)


def test_materialiser_and_live_view_read_the_changelog(
    secured: tuple[LocalBroker, Settings],
) -> None:
    topics = Topics(NAMESPACE)
    produce(options(secured, "wijkwacht-worker"), topics.state, b"cell")
    materialiser = options(secured, "wijkwacht-materialiser")
    assert b"cell" in read(materialiser, topics.state, topics.materialiser_group)
    live = options(secured, "wijkwacht-live")
    assert b"cell" in read(live, topics.state)

    async def measure() -> None:  # what read/pipeline.py asks for its lag measurement
        admin = AIOKafkaAdminClient(**live)
        await admin.start()
        try:
            await admin.list_consumer_group_offsets(topics.worker_group)
            await admin.list_consumer_group_offsets(topics.materialiser_group)
            await admin.describe_consumer_groups([topics.worker_group, topics.materialiser_group])
        finally:
            await admin.close()
        consumer = AIOKafkaConsumer(**live, enable_auto_commit=False)
        await consumer.start()
        try:
            inputs = [topics.input(FIELD_SYSTEM), topics.input(KAFKA_ONLY)]
            tps = [TopicPartition(t, 0) for t in (*inputs, topics.state, topics.dlq)]
            assert set(await consumer.end_offsets(tps)) == set(tps)
        finally:
            await consumer.stop()

    asyncio.run(measure())


@pytest.mark.parametrize("topic", [Topics(NAMESPACE).state, Topics(NAMESPACE).dlq])
@pytest.mark.parametrize("principal", [FIELD_SYSTEM, KAFKA_ONLY, "wijkwacht-api"])
def test_a_producer_is_refused_every_topic_but_its_own(
    secured: tuple[LocalBroker, Settings], principal: str, topic: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        produce(options(secured, principal), topic)


@pytest.mark.parametrize(
    ("principal", "other"), [(FIELD_SYSTEM, KAFKA_ONLY), (KAFKA_ONLY, FIELD_SYSTEM)]
)
def test_a_field_system_writes_its_own_input_and_no_other_systems(
    secured: tuple[LocalBroker, Settings], principal: str, other: str
) -> None:
    client = options(secured, principal)
    produce(client, Topics(NAMESPACE).input(principal), b"mine")
    with pytest.raises(TopicAuthorizationFailedError):
        produce(client, Topics(NAMESPACE).input(other), b"posing as another system")


def test_a_field_system_may_neither_read_nor_create_topics(
    secured: tuple[LocalBroker, Settings],
) -> None:
    client = options(secured, KAFKA_ONLY)
    own = Topics(NAMESPACE).input(KAFKA_ONLY)
    produce(client, own, b"allowed")
    with pytest.raises(TopicAuthorizationFailedError):
        read(client, own)

    async def create() -> Any:
        admin = AIOKafkaAdminClient(**client)
        await admin.start()
        try:
            from aiokafka.admin import NewTopic

            mine = Topics(NAMESPACE).input("mine")
            return await admin.create_topics([NewTopic(mine, 1, 1)])
        finally:
            await admin.close()

    response = asyncio.run(create())
    assert [code for _name, code, *_ in response.topic_errors] == [29]  # TOPIC_AUTHORIZATION


async def _connects(client: dict[str, Any]) -> bool:
    admin = AIOKafkaAdminClient(**client, request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), 10)
        await asyncio.wait_for(admin.list_topics(), 10)
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()
    return True


def test_no_one_connects_without_a_password_the_right_password_and_a_trusted_broker(
    secured: tuple[LocalBroker, Settings], tmp_path: Path
) -> None:
    good = options(secured, FIELD_SYSTEM)
    assert asyncio.run(_connects(good))
    context = good["ssl_context"]
    no_sign_in = {"bootstrap_servers": good["bootstrap_servers"], "security_protocol": "SSL"}
    assert not asyncio.run(_connects(no_sign_in | {"ssl_context": context}))
    assert not asyncio.run(_connects(good | {"sasl_plain_password": "not-the-password"}))
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(new_ca("someone else")[0].public_bytes(serialization.Encoding.PEM))
    untrusting = create_ssl_context(cafile=str(other_ca))
    assert not asyncio.run(_connects(good | {"ssl_context": untrusting}))


PRODUCER = "org.apache.kafka.tools.ConsoleProducer"
CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"


def test_kafkas_console_tools_take_the_client_files(
    secured: tuple[LocalBroker, Settings],
) -> None:
    broker, _settings = secured
    java = shutil.which("java")
    assert java is not None
    topics = Topics(NAMESPACE)

    def console(tool: str, topic: str, *args: str, text: str | None = None) -> Any:
        """One of Kafka's console tools against the secured broker."""
        command = [tool, "--bootstrap-server", broker.bootstrap, "--topic", topic, *args]
        return subprocess.run(
            java_command(java, broker.jars, *command),
            input=text,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    producer_config = ("--producer.config", str(broker.client_file(KAFKA_ONLY)))
    own = topics.input(KAFKA_ONLY)
    produced = console(PRODUCER, own, *producer_config, text="from-the-console\n")
    assert produced.returncode == 0, produced.stderr[-2000:]
    # docs/integration.md's example: one structured-mode event, header, key and value on a
    # line; what arrives is an event the worker takes.
    event = factories.camera_incident("CAM-CONSOLE")
    key = event["source"] + event["subject"]
    line = f"content-type:application/cloudevents+json\t{key}\t{json.dumps(event)}\n"
    parse = ("--property", "parse.key=true", "--property", "parse.headers=true")
    produced = console(PRODUCER, own, *producer_config, *parse, text=line)
    assert produced.returncode == 0, produced.stderr[-2000:]
    found = records(options(secured, "wijkwacht-worker"), own)
    (arrived,) = [r for r in found if r.key == key.encode()]
    assert from_kafka(arrived.value, list(arrived.headers), REGISTRIES).id == event["id"]
    consumed = console(
        CONSUMER,
        own,
        "--from-beginning",
        "--max-messages",
        "1000",
        "--timeout-ms",
        "8000",
        "--consumer.config",
        str(broker.client_file("wijkwacht-worker")),
        "--group",
        topics.worker_group,
    )
    assert "from-the-console" in consumed.stdout, consumed.stderr[-2000:]
    refused = console(PRODUCER, topics.state, *producer_config, text="not-allowed\n")
    assert "TopicAuthorizationException" in refused.stderr + refused.stdout
