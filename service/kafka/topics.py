"""The Kafka topics of one Wijkwacht namespace, and their explicit creation at start-up."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
)

from events.limits import FIELD_SYSTEM_PATTERN
from service.kafka.errors import TopicError

if TYPE_CHECKING:
    from service.kafka.config import KafkaConfig

log = logging.getLogger(__name__)
FIELD_SYSTEM = re.compile(FIELD_SYSTEM_PATTERN)


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic and group names; with the default namespace `wijkwacht` they are the contract's."""

    namespace: str

    @property
    def input_prefix(self) -> str:
        """Every input topic's name starts with this and a dot (prefixed ACLs use both)."""
        return f"{self.namespace}.events.v1."

    def input(self, field_system: str) -> str:
        """A field system's input topic, its lane: the API writes there what the system posts,
        the system itself may produce there directly, and nobody else may write it. The
        worker counts there only the system's own incidents."""
        return self.input_prefix + field_system

    def lane_of(self, topic: str) -> str | None:
        """The field system whose input topic this is, or None for a topic that is no input."""
        name = topic.removeprefix(self.input_prefix)
        if name != topic and FIELD_SYSTEM.fullmatch(name):
            return name
        return None

    def inputs(self, field_systems: Iterable[str]) -> list[str]:
        """The input topics of these field systems, sorted."""
        return sorted(self.input(name) for name in set(field_systems))

    @property
    def dlq(self) -> str:
        return f"{self.namespace}.events.dlq.v1"

    @property
    def state(self) -> str:
        """Changelog of the worker's state table: incidents and aggregates, compacted."""
        return f"{self.namespace}.state.v1"

    @property
    def worker_group(self) -> str:
        return f"{self.namespace}.worker"

    @property
    def materialiser_group(self) -> str:
        return f"{self.namespace}.materialiser.v1"


_NOT_ALLOWED = (TopicAuthorizationFailedError.errno, ClusterAuthorizationFailedError.errno)


def _kept(milliseconds: int) -> dict[str, str]:
    return {"retention.ms": str(milliseconds)}


def _in_sync(replicas: int) -> dict[str, str]:
    """With three copies or more, a write stands once two have it (producers use acks=all):
    one broker may be lost without losing an acknowledged event, or stopping the writes."""
    return {"min.insync.replicas": "2"} if replicas >= 3 else {}


class Layout(NamedTuple):
    """The input topics there are, and the partition count they and the state changelog
    share: partition p of each is processed by the one worker that owns p."""

    partitions: int
    inputs: list[str]


async def ensure_topics(kafka: KafkaConfig) -> Layout:
    """Create the topics that are missing: each configured field system's input, the dead
    letters and the state changelog. Input topics found on the cluster count too: a worker
    need not be told every field system."""
    topics = kafka.topics
    admin = AIOKafkaAdminClient(**kafka.client_options(request_timeout_ms=15000))
    await admin.start()
    try:
        present = set(await admin.list_topics())
        found = [topics.lane_of(t) for t in present]
        inputs = topics.inputs([*kafka.field_systems, *(lane for lane in found if lane)])
        there = [t for t in [*inputs, topics.state] if t in present]
        counts = {
            d["topic"]: len(d["partitions"])
            for d in (await admin.describe_topics(there) if there else [])
            if d.get("error_code") == 0 and d.get("partitions")
        }
        partitions = counts.get(topics.state) or max(counts.values(), default=kafka.partitions)
        for name, count in sorted(counts.items()):
            if count != partitions:
                raise TopicError(
                    f"topic {name} has {count} partitions, {topics.state} {partitions}: every "
                    "input topic and the state topic must have the same number"
                )
        rf = kafka.replication_factor
        durable = _in_sync(rf)
        kept = _kept(kafka.input_retention_ms) | durable
        wanted = [NewTopic(name, partitions, rf, topic_configs=kept) for name in inputs]
        wanted += [
            NewTopic(
                topics.dlq, 1, rf, topic_configs=_kept(kafka.dead_letter_retention_ms) | durable
            ),
            NewTopic(
                topics.state, partitions, rf, topic_configs={"cleanup.policy": "compact"} | durable
            ),
        ]
        replicas = {
            d["topic"]: min(len(p["replicas"]) for p in d["partitions"])
            for d in (await admin.describe_topics(there) if there else [])
            if d.get("error_code") == 0 and d.get("partitions")
        }
        existing = [t for t in wanted if t.name in present]
        configs = await _configs(admin, [t.name for t in existing])
        for topic in existing:
            fault = weaker(topic, replicas.get(topic.name), configs.get(topic.name))
            if fault:
                raise TopicError(f"topic {topic.name} exists with weaker settings: {fault}")
        for topic in wanted:
            if topic.name not in present:
                await _create(admin, topic)
        return Layout(partitions, inputs)
    finally:
        await admin.close()


def weaker(wanted: NewTopic, replicas: int | None, configs: dict[str, str] | None) -> str | None:
    """What of an existing topic is weaker than Wijkwacht would create it, naming the setting
    (None: nothing). Configurations are compared only where they could be read."""
    if replicas is not None and replicas < wanted.replication_factor:
        return (
            f"replication factor {replicas}, WIJKWACHT_TOPIC_REPLICATION_FACTOR asks "
            f"{wanted.replication_factor}"
        )
    if configs is None:
        return None
    want = wanted.topic_configs
    if "min.insync.replicas" in want and "min.insync.replicas" in configs:
        have_isr, want_isr = int(configs["min.insync.replicas"]), int(want["min.insync.replicas"])
        if have_isr < want_isr:
            return (
                f"min.insync.replicas={have_isr}, Wijkwacht asks {want_isr} with "
                f"replication factor {wanted.replication_factor}"
            )
    if "compact" in want.get("cleanup.policy", "") and "compact" not in configs.get(
        "cleanup.policy", ""
    ):
        return f"cleanup.policy={configs.get('cleanup.policy')}, the state must be compacted"
    if "retention.ms" in want and "retention.ms" in configs:
        have, asked = int(configs["retention.ms"]), int(want["retention.ms"])
        forever = -1
        if wanted.name.endswith(".dlq.v1"):  # kept no longer than asked (AVG)
            if asked != forever and (have == forever or have > asked):
                return f"retention.ms={have}, WIJKWACHT_DEAD_LETTER_RETENTION_DAYS asks {asked}"
        elif have != forever and (asked == forever or have < asked):  # an input: for replay
            return f"retention.ms={have}, WIJKWACHT_INPUT_RETENTION_DAYS asks {asked}"
    return None


async def _configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """The configurations of `names`, where this principal may read them (an operator may; a
    worker may not, and then only the replication factor is checked)."""
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    try:
        responses = await admin.describe_configs(resources)
    except KafkaError as exc:
        log.info("topic configurations not checked: %s", type(exc).__name__)
        return {}
    found: dict[str, dict[str, str]] = {}
    for response in responses:
        for error, _, _, name, entries in response.resources:
            if error == 0:
                found[name] = {entry[0]: entry[1] for entry in entries}
    return found


async def _create(admin: AIOKafkaAdminClient, topic: NewTopic) -> None:
    try:
        response = await admin.create_topics([topic])
    except TopicAlreadyExistsError:
        return
    for name, code, *rest in response.topic_errors:
        if code in _NOT_ALLOWED:
            raise TopicError(
                f"topic {name} is missing and this principal may not create it: "
                "create the topics as an operator (`wijkwacht acl apply`)"
            )
        if code not in (0, TopicAlreadyExistsError.errno):
            message = rest[0] if rest and rest[0] else f"error code {code}"
            raise TopicError(f"cannot create topic {name}: {message}")
    log.info("created topic %s (%d partitions)", topic.name, topic.num_partitions)
