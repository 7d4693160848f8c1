"""The Kafka topics of one Wijkwacht namespace, and their explicit creation at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from service.kafka.errors import TopicError

if TYPE_CHECKING:
    from service.kafka.config import KafkaConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic and group names; with the default namespace `wijkwacht` they are the contract's."""

    namespace: str

    @property
    def events(self) -> str:
        return f"{self.namespace}.events.v1"

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


def _kept(milliseconds: int) -> dict[str, str]:
    return {"retention.ms": str(milliseconds)}


async def ensure_topics(kafka: KafkaConfig) -> int:
    """Create the topics that are missing; return the input topic's partition count, which
    the state topic must share."""
    topics = kafka.topics
    admin = AIOKafkaAdminClient(**kafka.client_options(request_timeout_ms=15000))
    await admin.start()
    try:
        existing = await admin.describe_topics([topics.events])
        partitions = kafka.partitions
        for description in existing:
            if description.get("error_code") == 0 and description.get("partitions"):
                partitions = len(description["partitions"])
        rf = kafka.replication_factor
        compacted = {"cleanup.policy": "compact"}
        wanted = [
            NewTopic(topics.events, partitions, rf, topic_configs=_kept(kafka.input_retention_ms)),
            NewTopic(topics.dlq, 1, rf, topic_configs=_kept(kafka.dead_letter_retention_ms)),
            NewTopic(topics.state, partitions, rf, topic_configs=compacted),
        ]
        present = set(await admin.list_topics())
        for topic in wanted:
            if topic.name in present:
                continue
            try:
                response = await admin.create_topics([topic])
            except TopicAlreadyExistsError:
                continue
            for name, code, *rest in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    message = rest[0] if rest and rest[0] else f"error code {code}"
                    raise TopicError(f"cannot create topic {name}: {message}")
            log.info("created topic %s (%d partitions)", topic.name, topic.num_partitions)
        return partitions
    finally:
        await admin.close()
