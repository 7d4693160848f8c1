"""Wijkwacht's Kafka access rules as code: from the namespace and the field systems, every ACL
binding each principal needs to do its own job and nothing more."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.kafka.topics import Topics
from service.settings import (
    ADMIN_PRINCIPAL,
    API_PRINCIPAL,
    LIVE_PRINCIPAL,
    MATERIALISER_PRINCIPAL,
    WORKER_PRINCIPAL,
)

# Resource types and operations as Kafka's AclCommand spells them on its command line.
TOPIC, GROUP, TRANSACTIONAL_ID = "topic", "group", "transactional-id"
LITERAL, PREFIXED = "literal", "prefixed"


@dataclass(frozen=True, slots=True, order=True)
class Binding:
    """One ALLOW rule for one principal, from any host."""

    principal: str  # the SCRAM user name; Kafka's principal is User:<name>
    resource_type: str
    name: str
    pattern: str
    operation: str

    def line(self) -> str:
        """One line of `wijkwacht acl plan`; the fields in the order of the sort."""
        return (
            f"User:{self.principal} ALLOW {self.operation} on {self.resource_type} "
            f"{self.name} ({self.pattern})"
        )


@dataclass(frozen=True, slots=True)
class Grant:
    """Operations on one resource, before they are spelled out per principal."""

    resource_type: str
    name: str
    operations: tuple[str, ...]
    pattern: str = LITERAL


def field_system_input(topics: Topics, field_system: str) -> Grant:
    """Where one field system may write: its own input topic, and nothing else."""
    return Grant(TOPIC, topics.input(field_system), ("Write",))


def inputs(topics: Topics, operation: str) -> Grant:
    """`operation` on every input topic, present and future: the prefix ends in a dot, so a
    later `events.v10` is not granted by accident."""
    return Grant(TOPIC, topics.input_prefix, (operation,), PREFIXED)


def grants(topics: Topics) -> dict[str, list[Grant]]:
    """What each of Wijkwacht's own principals needs. `admin` and `broker` are super users
    and need none; WRITE, READ implies DESCRIBE on the same resource (Kafka's rule)."""
    return {
        # Each request body in one transaction under `<namespace>.api.<n>.<instance>`
        # (kafka/writer.py). Since Kafka 3.0 (KIP-679) idempotent and transactional producers
        # need no IdempotentWrite on the cluster: WRITE on a topic or transactional id does.
        # The API writes what a field system posts to that system's topic, having checked that
        # every event is the system's own.
        API_PRINCIPAL: [
            inputs(topics, "Write"),
            Grant(TRANSACTIONAL_ID, f"{topics.namespace}.api.", ("Describe", "Write"), PREFIXED),
        ],
        # faust reads the input in the worker group, recovers its table from the changelog
        # (READ) and writes it and dead-letters records.
        WORKER_PRINCIPAL: [
            inputs(topics, "Read"),
            Grant(GROUP, topics.worker_group, ("Read",)),
            Grant(TOPIC, topics.state, ("Read", "Write")),
            Grant(TOPIC, topics.dlq, ("Write",)),
        ],
        MATERIALISER_PRINCIPAL: [
            Grant(TOPIC, topics.state, ("Read",)),
            Grant(GROUP, topics.materialiser_group, ("Read",)),
        ],
        # The live view reads the changelog without a group. Its lag measurement
        # (read/pipeline.py) asks end offsets of input, changelog and dead-letter topics and
        # the committed offsets and members of both groups (DESCRIBE), and fetches the input
        # from the worker group's offset to tell transaction markers from unprocessed events:
        # that fetch needs READ on the input.
        LIVE_PRINCIPAL: [
            Grant(TOPIC, topics.state, ("Read",)),
            inputs(topics, "Read"),
            Grant(TOPIC, topics.dlq, ("Describe",)),
            Grant(GROUP, topics.worker_group, ("Describe",)),
            Grant(GROUP, topics.materialiser_group, ("Describe",)),
        ],
    }


def bindings(namespace: str, field_systems: Iterable[str]) -> list[Binding]:
    """Every binding of one namespace, sorted: the stable order `acl plan` prints."""
    topics = Topics(namespace)
    wanted = grants(topics)
    for system in field_systems:
        wanted[system] = [field_system_input(topics, system)]
    found = {
        Binding(principal, grant.resource_type, grant.name, grant.pattern, operation)
        for principal, granted in wanted.items()
        for grant in granted
        for operation in grant.operations
    }
    return sorted(found)


def kafka_acls_command(binding: Binding) -> str:
    """The one `kafka-acls.sh` line that creates `binding` (docs/operations.md)."""
    pattern = " --resource-pattern-type prefixed" if binding.pattern == PREFIXED else ""
    return (
        "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config "
        f"{ADMIN_PRINCIPAL}.properties --add --allow-principal User:{binding.principal} "
        f"--operation {binding.operation} --{binding.resource_type} {binding.name}{pattern}"
    )
