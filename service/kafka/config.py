"""How Wijkwacht reaches its Kafka: one value built from the settings and handed to every
client, so that where the brokers are and how to sign in is said once."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from aiokafka.helpers import create_ssl_context

from service.kafka.topics import Topics
from service.settings import Settings

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class KafkaConfig:
    """The bootstrap servers, how to sign in, the topics of one namespace, and how new topics
    are made."""

    bootstrap: str
    topics: Topics
    partitions: int  # of the input and state topics, when Wijkwacht creates them
    replication_factor: int
    field_systems: tuple[str, ...] = ()  # each has an input topic of its own
    input_retention_ms: int = -1  # -1: forever
    dead_letter_retention_ms: int = 30 * DAY_MS
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password: str | None = None
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaConfig:
        protocol = settings.kafka_security_protocol
        context = None
        if protocol.endswith("SSL"):
            context = create_ssl_context(
                cafile=_path(settings.kafka_ca_file),
                certfile=_path(settings.kafka_cert_file),
                keyfile=_path(settings.kafka_key_file),
            )
            context.check_hostname = settings.kafka_check_hostname
        sasl = protocol.startswith("SASL_")
        return cls(
            bootstrap=settings.bootstrap,
            topics=Topics(settings.namespace),
            partitions=settings.topic_partitions,
            replication_factor=settings.replication_factor,
            field_systems=tuple(settings.field_systems),
            input_retention_ms=_ms(settings.input_retention_days),
            dead_letter_retention_ms=_ms(settings.dead_letter_retention_days),
            security_protocol=protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism if sasl else None,
            username=settings.kafka_username if sasl else None,
            password=settings.kafka_password_secret() if sasl else None,
            ssl_context=context,
        )

    def client_options(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.ssl_context is not None:
            options["ssl_context"] = self.ssl_context
        if self.sasl_mechanism is not None:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return options | extra

    def faust_brokers(self) -> list[str]:
        """The bootstrap servers as faust takes them."""
        return [f"kafka://{server.strip()}" for server in self.bootstrap.split(",")]

    def faust_credentials(self) -> Any:
        """faust's credentials for the same sign-in, or None for PLAINTEXT."""
        import faust

        if self.sasl_mechanism is not None:
            return faust.SASLCredentials(
                username=self.username,
                password=self.password,
                mechanism=self.sasl_mechanism,
                ssl_context=self.ssl_context,
            )
        if self.ssl_context is not None:
            return faust.SSLCredentials(self.ssl_context)
        return None


def _ms(days: int | None) -> int:
    return -1 if days is None else days * DAY_MS


def _path(path: object) -> str | None:
    return None if path is None else str(path)
