"""How Wijkwacht reaches its Kafka: one value built from the settings and handed to every
client, so that where the brokers are (and, once secured, how to sign in) is said once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.kafka.topics import Topics
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class KafkaConfig:
    """The bootstrap servers, the topics of one namespace, and how new topics are made."""

    bootstrap: str
    topics: Topics
    partitions: int  # of the input and state topics, when Wijkwacht creates them
    replication_factor: int

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaConfig:
        return cls(
            bootstrap=settings.bootstrap,
            topics=Topics(settings.namespace),
            partitions=settings.topic_partitions,
            replication_factor=settings.topic_replication_factor,
        )

    def client_options(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        return {"bootstrap_servers": self.bootstrap, **extra}

    def faust_brokers(self) -> list[str]:
        """The bootstrap servers as faust takes them."""
        return [f"kafka://{server.strip()}" for server in self.bootstrap.split(",")]
