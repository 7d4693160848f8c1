"""Wijkwacht's Kafka access rules as code: from the namespace and the field systems, every ACL
binding each principal needs to do its own job and nothing more."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
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


def leader_topic(topics: Topics) -> str:
    """faust's `LeaderAssignor` subscribes every worker to `<app id>-__assignor-__leader` so
    that one member leads the assignment (faust/assignor/leader_assignor.py); the app id is
    the worker group."""
    return f"{topics.worker_group}-__assignor-__leader"


def field_system_input(topics: Topics, field_system: str) -> Grant:
    """Where one field system may write. Today every system writes the one input topic; when
    each gets its own topic under the prefix `<namespace>.events.v1`, only this changes."""
    del field_system  # every system shares the input topic for now
    return Grant(TOPIC, topics.events, ("Write",))


def grants(topics: Topics) -> dict[str, list[Grant]]:
    """What each of Wijkwacht's own principals needs. `admin` and `broker` are super users
    and need none; WRITE, READ implies DESCRIBE on the same resource (Kafka's rule)."""
    return {
        # Each request body in one transaction under `<namespace>.api.<n>.<instance>`
        # (kafka/writer.py). Since Kafka 3.0 (KIP-679) idempotent and transactional producers
        # need no IdempotentWrite on the cluster: WRITE on a topic or transactional id does.
        API_PRINCIPAL: [
            Grant(TOPIC, topics.events, ("Write",)),
            Grant(TRANSACTIONAL_ID, f"{topics.namespace}.api.", ("Describe", "Write"), PREFIXED),
        ],
        # faust reads the input in the worker group, recovers its table from the changelog
        # (READ) and writes it, dead-letters records, and subscribes its leader topic.
        WORKER_PRINCIPAL: [
            Grant(TOPIC, topics.events, ("Read",)),
            Grant(GROUP, topics.worker_group, ("Read",)),
            Grant(TOPIC, leader_topic(topics), ("Read",)),
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
            Grant(TOPIC, topics.events, ("Read",)),
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


def acl_command_batches(missing: Sequence[Binding]) -> list[list[str]]:
    """The fewest `kafka-acls --add` argument lists that create exactly `missing`: AclCommand
    adds every principal × operation × resource of one call, so bindings are grouped by
    equal operation sets, then by equal principal sets (each JVM costs seconds)."""
    operations: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for b in missing:
        operations[(b.principal, b.resource_type, b.name, b.pattern)].add(b.operation)
    principals: dict[tuple[str, str, str, frozenset[str]], set[str]] = defaultdict(set)
    for (principal, kind, name, pattern), ops in operations.items():
        principals[(kind, name, pattern, frozenset(ops))].add(principal)
    resources: dict[tuple[str, frozenset[str], frozenset[str]], set[tuple[str, str]]]
    resources = defaultdict(set)
    for (kind, name, pattern, granted), users in principals.items():
        resources[(pattern, granted, frozenset(users))].add((kind, name))
    batches = []
    for (pattern, granted, group), names in sorted(resources.items(), key=repr):
        args = ["--add"]
        args += [arg for user in sorted(group) for arg in ("--allow-principal", f"User:{user}")]
        args += [arg for op in sorted(granted) for arg in ("--operation", op)]
        args += [arg for kind, name in sorted(names) for arg in (f"--{kind}", name)]
        batches.append([*args, "--resource-pattern-type", pattern])
    return batches


def kafka_acls_command(binding: Binding) -> str:
    """The one `kafka-acls.sh` line that creates `binding` (docs/operations.md)."""
    pattern = " --resource-pattern-type prefixed" if binding.pattern == PREFIXED else ""
    return (
        "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config "
        f"{ADMIN_PRINCIPAL}.properties --add --allow-principal User:{binding.principal} "
        f"--operation {binding.operation} --{binding.resource_type} {binding.name}{pattern}"
    )
